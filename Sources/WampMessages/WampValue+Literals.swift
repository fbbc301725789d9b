/// Literals and typed reads, so application code (the client's users) can write
/// `[1, "two", ["three": 3.0]]` for arguments and read results without a switch per value.
extension WampValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral {
    public init(nilLiteral: ()) { self = .null }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: WampValue...) { self = .array(elements) }
    /// Members keep the literal's order.
    public init(dictionaryLiteral elements: (String, WampValue)...) { self = .map(elements.map { Member($0.0, $0.1) }) }

    public var boolValue: Bool? { if case .bool(let value) = self { value } else { nil } }
    public var stringValue: String? { if case .string(let value) = self { value } else { nil } }
    public var doubleValue: Double? { if case .double(let value) = self { value } else { nil } }
    public var binaryValue: [UInt8]? { if case .binary(let value) = self { value } else { nil } }
    public var arrayValue: [WampValue]? { if case .array(let value) = self { value } else { nil } }

    /// The integer when it fits `Int64` (an unsigned one above `Int64.max` does not).
    public var integerValue: Int64? { if case .integer(let value) = self { value } else { nil } }

    /// A map member's value by key (the first, should a map repeat a key); nil for non-maps.
    public subscript(key: String) -> WampValue? {
        guard case .map(let members) = self else { return nil }
        return members.first { $0.key == key }?.value
    }
}
