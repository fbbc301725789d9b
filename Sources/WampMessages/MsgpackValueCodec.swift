import NIOCore

/// PLACEHOLDER (replaced by the MessagePack codec): one MessagePack value <-> `WampValue`.
public enum MsgpackValueCodec {
    public static func decode(_ bytes: ByteBuffer) throws(PayloadConversionError) -> WampValue {
        throw PayloadConversionError("MessagePack is not implemented yet")
    }

    public static func encode(_ value: WampValue, into buffer: inout ByteBuffer) throws(PayloadConversionError) {
        throw PayloadConversionError("MessagePack is not implemented yet")
    }
}
