import NIOCore

/// Converts one encoded value between serializations, through `WampValue`: decode with the
/// source's value codec, encode with the target's. Lossless or an error, never a changed value.
public enum PayloadConverter {
    public static func convert(_ bytes: ByteBuffer, from source: WampSerialization,
                               to target: WampSerialization) throws(PayloadConversionError) -> ByteBuffer {
        guard source != target else { return bytes }
        let value = try decodeValue(bytes, as: source)
        return try encodeValue(value, as: target)
    }

    public static func decodeValue(_ bytes: ByteBuffer, as serialization: WampSerialization) throws(PayloadConversionError) -> WampValue {
        switch serialization {
        case .json: try JSONValueCodec.decode(bytes)
        case .msgpack: try MsgpackValueCodec.decode(bytes)
        case .cbor: try CBORValueCodec.decode(bytes)
        }
    }

    public static func encodeValue(_ value: WampValue, as serialization: WampSerialization) throws(PayloadConversionError) -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: 64)
        switch serialization {
        case .json: try JSONValueCodec.encode(value, into: &buffer)
        case .msgpack: try MsgpackValueCodec.encode(value, into: &buffer)
        case .cbor: try CBORValueCodec.encode(value, into: &buffer)
        }
        return buffer
    }
}
