import NIOCore

/// The serializer seam: one message codec per serialization. The session picks its
/// serialization once (WebSocket subprotocol, RawSocket handshake) and calls these.
extension WampSerialization {
    /// One received message (a WebSocket message or a RawSocket frame) as a typed value;
    /// payloads stay slices of `buffer`, tagged with this serialization.
    public func decode(_ buffer: ByteBuffer, limits: MessageDecoder.Limits = .default) throws(WampDecodeError) -> WampMessage {
        switch self {
        case .json: try MessageDecoder.decode(buffer, limits: limits)
        case .msgpack: try MsgpackMessageDecoder.decode(buffer, limits: limits)
        case .cbor: try CBORMessageDecoder.decode(buffer, limits: limits)
        }
    }

    /// The bytes of `message` in this serialization. A payload in another serialization is
    /// converted first; that throws when a value has no lossless form here.
    public func encode(_ message: WampMessage) throws(PayloadConversionError) -> EncodedMessage {
        switch self {
        case .json: try MessageEncoder.encodeConverting(message)
        case .msgpack: EncodedMessage(bytes: try MsgpackMessageEncoder.encode(message), serialization: .msgpack)
        case .cbor: EncodedMessage(bytes: try CBORMessageEncoder.encode(message), serialization: .cbor)
        }
    }
}
