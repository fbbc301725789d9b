import CJansson

/// Standalone scalar values and a few type tests, for code that builds or reads small JSON trees
/// outside a message (authentication challenges, authenticator arguments and answers).
extension JSONValue {
    /// A JSON string holding `text` (which may contain NUL).
    public static func string(_ text: String) -> JSONValue {
        text.utf8CString.withUnsafeBufferPointer { buffer in
            JSONValue(owning: json_stringn(buffer.baseAddress, buffer.count - 1))
        }
    }

    public static func integer(_ value: Int64) -> JSONValue {
        JSONValue(owning: json_integer(value))
    }

    public static func bool(_ value: Bool) -> JSONValue {
        JSONValue(owning: value ? json_true() : json_false())
    }

    public var isString: Bool { pointer.pointee.type == JSON_STRING }

    /// Sets `key` to JSON `null` (a member that is present but empty, as Crossbar sends
    /// `channel_binding: null`).
    public func setNull(_ key: String) {
        json_object_set_new(pointer, key, json_null())
    }
}
