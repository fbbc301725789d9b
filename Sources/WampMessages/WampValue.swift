/// One application value, in the data model the three serializers share (spec "Serializers"):
/// the tree a payload goes through when it must be converted from its sender's serializer to a
/// receiver's. Payloads are converted only then; routing never builds one of these.
///
/// `.integer` holds every integer that fits Int64; `.unsignedInteger` only those above
/// `Int64.max` (up to 2^64-1), so each integer has one spelling and equality is by value.
/// Maps keep their members' order and only string keys: that is what JSON can carry, so a
/// MessagePack or CBOR map with another key type cannot be converted (the sender gets an ERROR).
public indirect enum WampValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case integer(Int64)
    case unsignedInteger(UInt64)
    case double(Double)
    case string(String)
    case binary([UInt8])
    case array([WampValue])
    case map([Member])

    public struct Member: Sendable, Hashable {
        public var key: String
        public var value: WampValue
        public init(_ key: String, _ value: WampValue) {
            self.key = key
            self.value = value
        }
    }

    /// How deep arrays and maps may nest in a payload being converted: deeper input is refused
    /// with an error instead of recursing without bound.
    public static let maxDepth = 128
}
