import NIOCore

/// PLACEHOLDER (replaced by the CBOR codec): WAMP messages as CBOR arrays.
public enum CBORMessageDecoder {
    public static func decode(_ buffer: ByteBuffer, limits: MessageDecoder.Limits) throws(WampDecodeError) -> WampMessage {
        throw WampDecodeError(.invalidCBOR, "CBOR is not implemented yet")
    }
}

public enum CBORMessageEncoder {
    public static func encode(_ message: WampMessage) throws(PayloadConversionError) -> ByteBuffer {
        throw PayloadConversionError("CBOR is not implemented yet")
    }
}
