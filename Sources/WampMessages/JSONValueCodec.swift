import NIOCore

/// One JSON value <-> `WampValue` (TODO lead: implementing now).
public enum JSONValueCodec {
    public static func decode(_ bytes: ByteBuffer) throws(PayloadConversionError) -> WampValue {
        throw PayloadConversionError("JSON value codec not implemented yet")
    }

    public static func encode(_ value: WampValue, into buffer: inout ByteBuffer) throws(PayloadConversionError) {
        throw PayloadConversionError("JSON value codec not implemented yet")
    }
}
