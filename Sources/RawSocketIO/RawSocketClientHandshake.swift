import NIOCore

/// The client's side of the RawSocket opening handshake, on bytes: the request it sends, and
/// what the router's 4-octet reply means. Pure; `RawSocketClient` performs it.
public struct RawSocketClientHandshake: Sendable {
    public enum Outcome: Equatable, Sendable {
        case needMore
        /// The router speaks the serializer and accepts messages up to `routerMaxLength`.
        case accepted(routerMaxLength: Int)
        /// An error reply; `code` is the spec's error number (see `RawSocketHandshakeError`).
        case refused(code: UInt8)
        /// Not a valid reply (bad magic, another serializer echoed, reserved octets set).
        case invalid(reason: String)
    }

    public let serializer: UInt8
    public let lengthExponent: UInt8
    private var octets: [UInt8] = []

    public init(serializer: UInt8, lengthExponent: UInt8) {
        self.serializer = serializer & 0x0F
        self.lengthExponent = min(lengthExponent, RawSocketLength.largestExponent)
    }

    /// `7F (LENGTH<<4 | SERIALIZER) 00 00`.
    public var request: [UInt8] {
        [RawSocketHandshake.magic, self.lengthExponent << 4 | self.serializer, 0, 0]
    }

    /// Takes up to the reply's remaining octets from `buffer`; what follows stays there.
    public mutating func receive(_ buffer: inout ByteBuffer) -> Outcome {
        while self.octets.count < 4, let octet = buffer.readInteger(as: UInt8.self) {
            self.octets.append(octet)
        }
        guard self.octets.count == 4 else { return .needMore }
        guard self.octets[0] == RawSocketHandshake.magic else { return .invalid(reason: "bad magic octet") }
        guard self.octets[2] == 0 && self.octets[3] == 0 else { return .invalid(reason: "reserved octets set") }
        let serializer = self.octets[1] & 0x0F
        if serializer == 0 { return .refused(code: self.octets[1] >> 4) }
        guard serializer == self.serializer else { return .invalid(reason: "router echoed serializer \(serializer)") }
        return .accepted(routerMaxLength: RawSocketLength.maxLength(exponent: self.octets[1] >> 4))
    }
}
