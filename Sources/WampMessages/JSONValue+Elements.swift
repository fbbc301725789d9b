import CJansson

extension JSONValue {
    /// The elements of an array (each a new owning handle); `nil` for any other value.
    /// For reading option lists such as `PUBLISH.Options.exclude`, not for payloads.
    public var arrayElements: [JSONValue]? {
        guard pointer.pointee.type == JSON_ARRAY else { return nil }
        return (0..<json_array_size(pointer)).map { JSONValue(borrowing: json_array_get(pointer, $0)!) }
    }

    /// The value itself when it is a JSON integer; `nil` otherwise.
    public var integerValue: Int64? {
        pointer.pointee.type == JSON_INTEGER ? json_integer_value(pointer) : nil
    }
}
