/// Why a payload could not be converted to a receiver's serializer without changing it (an
/// integer beyond 64 bits for MessagePack, a map with a non-string key for JSON, a CBOR tag...),
/// or is malformed in its own serializer. `reason` is written for the sender's ERROR message.
public struct PayloadConversionError: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: String

    public init(_ reason: String) {
        self.reason = reason
    }

    public var description: String { reason }
}
