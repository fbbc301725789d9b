import NIOCore

/// PLACEHOLDER (replaced by the MessagePack codec): WAMP messages as MessagePack arrays.
public enum MsgpackMessageDecoder {
    public static func decode(_ buffer: ByteBuffer, limits: MessageDecoder.Limits) throws(WampDecodeError) -> WampMessage {
        throw WampDecodeError(.invalidMessagePack, "MessagePack is not implemented yet")
    }
}

public enum MsgpackMessageEncoder {
    public static func encode(_ message: WampMessage) throws(PayloadConversionError) -> ByteBuffer {
        throw PayloadConversionError("MessagePack is not implemented yet")
    }
}
