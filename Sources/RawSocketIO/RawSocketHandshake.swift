import NIOCore

/// The router's side of the RawSocket opening handshake, on bytes: fed whatever arrives (the
/// 4 octets may come one at a time, or in one read together with the first message), it says
/// what to answer. Pure; `RawSocketServerHandshakeHandler` performs the actions.
///
/// Checks, in this order: magic octet `0x7F` (else fail the connection: it is not RawSocket,
/// checked on the first octet without waiting for the rest), serializer 0 (illegal: fail),
/// reserved octets 3-4 (error 3), the connection limit (error 4), the serializer (error 1), the
/// client's maximum length (error 2).
public struct RawSocketHandshake: Sendable {
    public enum Action: Equatable, Sendable {
        /// Fewer than 4 octets so far.
        case needMore
        /// Send `reply`; the connection speaks `serializer` and the router must not send the
        /// client a message longer than `clientMaxLength`. What followed the handshake stays in
        /// the buffer.
        case accept(reply: [UInt8], serializer: UInt8, clientMaxLength: Int)
        /// Send `reply` (`7F (code<<4) 00 00`), then close.
        case refuse(reply: [UInt8], error: RawSocketHandshakeError)
        /// Close without an answer (not a RawSocket client, or an illegal request).
        case fail(reason: String)
    }

    public static let magic: UInt8 = 0x7F

    /// Serializer ids the listener speaks (1 JSON, 2 MessagePack, 3 CBOR).
    public let supportedSerializers: [UInt8]
    /// The router's `LENGTH`: the longest message it accepts is 2^(9+this).
    public let routerLengthExponent: UInt8
    /// Clients announcing less are refused with error 2. 0 (512 octets): none is.
    public let minimumClientLengthExponent: UInt8
    /// Set when the listener is at its connection limit: the request is answered error 4.
    public let refusal: RawSocketHandshakeError?
    private var octets: [UInt8] = []
    private var finished = false

    public init(supportedSerializers: [UInt8], routerLengthExponent: UInt8, minimumClientLengthExponent: UInt8 = 0,
                refusal: RawSocketHandshakeError? = nil) {
        self.supportedSerializers = supportedSerializers
        self.routerLengthExponent = min(routerLengthExponent, RawSocketLength.largestExponent)
        self.minimumClientLengthExponent = minimumClientLengthExponent
        self.refusal = refusal
        self.octets.reserveCapacity(4)
    }

    /// Takes up to the handshake's remaining octets from `buffer`. Call until it answers something
    /// else than `needMore`; not again afterwards.
    public mutating func receive(_ buffer: inout ByteBuffer) -> Action {
        precondition(!self.finished, "RawSocket handshake fed after its answer")
        while self.octets.count < 4, let octet = buffer.readInteger(as: UInt8.self) {
            self.octets.append(octet)
            if self.octets.count == 1 && octet != Self.magic {
                self.finished = true
                return .fail(reason: "first octet 0x\(String(octet, radix: 16)) is not the RawSocket magic 0x7f")
            }
        }
        guard self.octets.count == 4 else { return .needMore }
        self.finished = true
        return self.decide()
    }

    private func decide() -> Action {
        let serializer = self.octets[1] & 0x0F
        let clientExponent = self.octets[1] >> 4
        if serializer == 0 { return .fail(reason: "serializer 0 is illegal") }
        if self.octets[2] != 0 || self.octets[3] != 0 { return Self.refuse(.reservedBitsUsed) }
        if let refusal = self.refusal { return Self.refuse(refusal) }
        if !self.supportedSerializers.contains(serializer) { return Self.refuse(.serializerUnsupported) }
        if clientExponent < self.minimumClientLengthExponent { return Self.refuse(.maximumLengthUnacceptable) }
        return .accept(reply: [Self.magic, self.routerLengthExponent << 4 | serializer, 0, 0], serializer: serializer,
                       clientMaxLength: RawSocketLength.maxLength(exponent: clientExponent))
    }

    public static func errorReply(_ error: RawSocketHandshakeError) -> [UInt8] {
        [Self.magic, error.rawValue << 4, 0, 0]
    }

    private static func refuse(_ error: RawSocketHandshakeError) -> Action {
        .refuse(reply: self.errorReply(error), error: error)
    }
}
