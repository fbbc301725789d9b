/// The length of a received array: MessagePack arrays always carry their count, CBOR arrays may
/// be indefinite (items up to a break byte).
enum BinaryArrayLength: Equatable {
    case count(Int)
    case indefinite
}

/// A forward-only reader over one MessagePack or CBOR message, the binary counterpart of
/// `JSONScanner`: enough to pick out the integers the benchmark needs and to skip what it does
/// not, without building any value. A malformed or truncated input answers nil/false (the peer
/// then hands the message to the full decoder, which reports it).
protocol BinaryScanner {
    init(_ bytes: UnsafeRawBufferPointer)
    /// Offset of the next unread byte.
    var index: Int { get }
    var bytes: UnsafeRawBufferPointer { get }
    mutating func readArrayLength() -> BinaryArrayLength?
    /// A non-negative integer (IDs, sequence numbers, timestamps).
    mutating func readUInt() -> UInt64?
    /// Skips one value of any kind, containers included.
    mutating func skipValue() -> Bool
}
