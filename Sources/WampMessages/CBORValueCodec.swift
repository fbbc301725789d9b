import NIOCore

/// PLACEHOLDER (replaced by the CBOR codec): one CBOR value <-> `WampValue`.
public enum CBORValueCodec {
    public static func decode(_ bytes: ByteBuffer) throws(PayloadConversionError) -> WampValue {
        throw PayloadConversionError("CBOR is not implemented yet")
    }

    public static func encode(_ value: WampValue, into buffer: inout ByteBuffer) throws(PayloadConversionError) {
        throw PayloadConversionError("CBOR is not implemented yet")
    }
}
