import CJansson

/// An owning handle on one jansson `json_t`.
///
/// jansson values are reference counted by hand; this class makes that count follow Swift's
/// object lifetime so no caller ever increments or decrements it. The counts are atomic in the
/// jansson build we link (`JSON_HAVE_ATOMIC_BUILTINS`), which is what makes sharing a value
/// between event loops sound. Values are treated as immutable once a message holds them.
public final class JSONValue: @unchecked Sendable {
    @usableFromInline
    let pointer: UnsafeMutablePointer<json_t>

    /// Takes over a reference the caller already owns (a "new reference" in jansson's terms).
    init(owning pointer: UnsafeMutablePointer<json_t>) {
        self.pointer = pointer
    }

    /// Takes a reference of its own on a value someone else owns (a "borrowed reference").
    init(borrowing pointer: UnsafeMutablePointer<json_t>) {
        self.pointer = cjansson_incref(pointer)
    }

    deinit {
        cjansson_decref(pointer)
    }

    /// A new, empty JSON object, for building `Details` the router sends.
    public static func makeObject() -> JSONValue {
        JSONValue(owning: json_object())
    }

    /// One shared empty object for the many messages whose Details are `{}`. Never mutate it.
    public static let emptyObject = JSONValue.makeObject()

    public var isObject: Bool { pointer.pointee.type == JSON_OBJECT }
    public var isArray: Bool { pointer.pointee.type == JSON_ARRAY }

    /// Number of members of an object or elements of an array; 0 for anything else.
    public var count: Int {
        switch pointer.pointee.type {
        case JSON_OBJECT: return json_object_size(pointer)
        case JSON_ARRAY: return json_array_size(pointer)
        default: return 0
        }
    }

    // MARK: Reading object members

    func member(_ key: String) -> UnsafeMutablePointer<json_t>? {
        guard pointer.pointee.type == JSON_OBJECT else { return nil }
        return json_object_get(pointer, key)
    }

    public func contains(_ key: String) -> Bool { member(key) != nil }

    public func object(_ key: String) -> JSONValue? {
        guard let value = member(key), value.pointee.type == JSON_OBJECT else { return nil }
        return JSONValue(borrowing: value)
    }

    public func value(_ key: String) -> JSONValue? {
        member(key).map { JSONValue(borrowing: $0) }
    }

    /// `nil` when the member is missing or not a boolean.
    public func bool(_ key: String) -> Bool? {
        guard let value = member(key) else { return nil }
        switch value.pointee.type {
        case JSON_TRUE: return true
        case JSON_FALSE: return false
        default: return nil
        }
    }

    public func string(_ key: String) -> String? {
        member(key).flatMap(JSONValue.string(of:))
    }

    public func integer(_ key: String) -> Int64? {
        guard let value = member(key), value.pointee.type == JSON_INTEGER else { return nil }
        return json_integer_value(value)
    }

    /// Keys of an object, in jansson's iteration order.
    public var keys: [String] {
        guard isObject else { return [] }
        var result: [String] = []
        var iterator = json_object_iter(pointer)
        while let current = iterator {
            result.append(String(cString: json_object_iter_key(current)))
            iterator = json_object_iter_next(pointer, current)
        }
        return result
    }

    /// The string value of this JSON value itself, if it is a string.
    public var stringValue: String? { JSONValue.string(of: pointer) }

    static func string(of value: UnsafeMutablePointer<json_t>) -> String? {
        guard value.pointee.type == JSON_STRING else { return nil }
        let length = json_string_length(value)
        guard let bytes = json_string_value(value) else { return nil }
        return bytes.withMemoryRebound(to: UInt8.self, capacity: length) {
            String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
        }
    }

    // MARK: Reading arrays and scalars

    /// Element `index` of an array, or `nil`.
    public func element(_ index: Int) -> JSONValue? {
        guard pointer.pointee.type == JSON_ARRAY, index >= 0, index < json_array_size(pointer),
              let value = json_array_get(pointer, index) else { return nil }
        return JSONValue(borrowing: value)
    }

    public var integerValue: Int64? {
        pointer.pointee.type == JSON_INTEGER ? json_integer_value(pointer) : nil
    }

    public var isNull: Bool { pointer.pointee.type == JSON_NULL }

    /// `nil` unless this value is `true` or `false`.
    public var boolValue: Bool? {
        switch pointer.pointee.type {
        case JSON_TRUE: return true
        case JSON_FALSE: return false
        default: return nil
        }
    }

    /// JSON `null` (jansson's singleton, which no reference count touches).
    public static let null = JSONValue(owning: json_null())

    /// The elements of an array (each its own handle); `nil` for any other value. For option
    /// lists such as `PUBLISH.Options.exclude`, never for payloads.
    public var arrayElements: [JSONValue]? {
        guard isArray else { return nil }
        return (0..<count).map { JSONValue(borrowing: json_array_get(pointer, $0)!) }
    }

    /// The strings of an array of strings; `nil` if this is not one.
    public var stringArray: [String]? {
        guard let elements = arrayElements else { return nil }
        let strings = elements.compactMap(\.stringValue)
        return strings.count == elements.count ? strings : nil
    }

    /// The integers of an array of integers; `nil` if this is not one.
    public var integerArray: [Int64]? {
        guard let elements = arrayElements else { return nil }
        let integers = elements.compactMap(\.integerValue)
        return integers.count == elements.count ? integers : nil
    }

    /// A shallow copy without `key`, for forwarding options minus one the router handles itself.
    public func removing(_ key: String) -> JSONValue {
        let copy = JSONValue(owning: json_copy(pointer))
        if copy.isObject { json_object_del(copy.pointer, key) }
        return copy
    }

    // MARK: Building (only before the value is shared)

    public static func makeArray() -> JSONValue {
        JSONValue(owning: json_array())
    }

    public func append(_ value: JSONValue) {
        json_array_append(pointer, value.pointer)
    }

    public func append(integer: Int64) {
        json_array_append_new(pointer, json_integer(integer))
    }

    public func append(string: String) {
        string.utf8CString.withUnsafeBufferPointer { buffer in
            _ = json_array_append_new(pointer, json_stringn(buffer.baseAddress, buffer.count - 1))
        }
    }

    public func set(_ key: String, _ value: JSONValue) {
        json_object_set(pointer, key, value.pointer)
    }

    public func set(_ key: String, string: String) {
        string.utf8CString.withUnsafeBufferPointer { buffer in
            _ = json_object_set_new(pointer, key, json_stringn(buffer.baseAddress, buffer.count - 1))
        }
    }

    public func set(_ key: String, integer: Int64) {
        json_object_set_new(pointer, key, json_integer(integer))
    }

    public func set(_ key: String, bool: Bool) {
        json_object_set_new(pointer, key, bool ? json_true() : json_false())
    }

    /// Compact JSON text of this value; for logs and tests, not for the wire path.
    public var jsonText: String {
        guard let text = json_dumps(pointer, JanssonFlags.encode) else { return "" }
        defer { free(text) }
        return String(cString: text)
    }

    /// Parses JSON text into a value; `nil` for invalid JSON. For configuration and tests.
    public static func parse(_ text: String) -> JSONValue? {
        var error = json_error_t()
        let parsed = text.utf8CString.withUnsafeBufferPointer {
            json_loadb($0.baseAddress, $0.count - 1, JanssonFlags.decode, &error)
        }
        return parsed.map { JSONValue(owning: $0) }
    }

    /// Whether `text` is one valid JSON value, by the rules the decoder applies to payloads
    /// (`JSONTextScanner`: what jansson accepts, plus integers beyond 64 bits). Builds nothing.
    public static func isValid(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { JSONTextScanner.isValid(UnsafeRawBufferPointer($0)) }
    }
}
