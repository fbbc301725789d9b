/// The error codes of a router's handshake reply (`7F (code<<4) 00 00`), as the WAMP spec
/// numbers them. 0 is illegal and 5-15 are reserved.
public enum RawSocketHandshakeError: UInt8, Sendable, Equatable, CaseIterable {
    case serializerUnsupported = 1
    case maximumLengthUnacceptable = 2
    /// Octets 3 and 4 of the request were not zero ("use of reserved bits").
    case reservedBitsUsed = 3
    case maximumConnectionCountReached = 4
}
