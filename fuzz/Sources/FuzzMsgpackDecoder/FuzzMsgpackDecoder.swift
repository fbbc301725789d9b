import NIOCore
import WampMessages

/// libFuzzer entry: any bytes as one `wamp.2.msgpack` message, and as one MessagePack value.
///
/// `MsgpackMessageDecoder.decode` and `MsgpackValueCodec.decode` must answer every input with a
/// result or a typed error (never a trap, leak, out-of-bounds read or an allocation of a size the
/// input declares; ASan and LeakSanitizer watch, jansson included). What decodes must survive a
/// round trip: a message's encoding decodes again to a message whose encoding is the same bytes;
/// a value's encoding decodes to an equal value. Values are compared by their encoding too, so
/// NaN (never equal to itself) is no false alarm; a first encoding may normalise (smallest
/// integer formats, float64), a second must not change anything.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMsgpackDecoder(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeBufferPointer(start: data, count: size)
    // Decode from a slice that does not start at offset 0 of its storage, as a frame payload cut
    // out of a larger read does: offsets must be relative to the reader index.
    var framed = ByteBuffer()
    framed.writeBytes([0x82, 0x7E, 0x00, 0x00])
    framed.writeBytes(input)
    framed.moveReaderIndex(forwardBy: 4)
    checkMessage(framed)
    checkValue(framed)
    return 0
}

private func hex(_ buffer: ByteBuffer) -> String {
    buffer.readableBytesView.map { String($0 >> 4, radix: 16) + String($0 & 0xF, radix: 16) }.joined()
}

private func checkMessage(_ input: ByteBuffer) {
    let message: WampMessage
    do {
        message = try MsgpackMessageDecoder.decode(input)
    } catch {
        return
    }
    let first: ByteBuffer
    do {
        first = try MsgpackMessageEncoder.encode(message)
    } catch {
        fatalError("a decoded message does not encode: \(error); input: \(hex(input))")
    }
    let again: WampMessage
    do {
        again = try MsgpackMessageDecoder.decode(first)
    } catch {
        fatalError("the encoding of a decoded message does not decode: \(error); encoding: \(hex(first))")
    }
    guard again.code == message.code else {
        fatalError("round trip changed the message code \(message.code) to \(again.code)")
    }
    guard let second = try? MsgpackMessageEncoder.encode(again), second == first else {
        fatalError("encoding is not stable: \(hex(first)); input: \(hex(input))")
    }
}

private func checkValue(_ input: ByteBuffer) {
    let value: WampValue
    do {
        value = try MsgpackValueCodec.decode(input)
    } catch {
        return
    }
    var first = ByteBuffer()
    do {
        try MsgpackValueCodec.encode(value, into: &first)
    } catch {
        fatalError("a decoded value does not encode: \(error); input: \(hex(input))")
    }
    let again: WampValue
    do {
        again = try MsgpackValueCodec.decode(first)
    } catch {
        fatalError("the encoding of a decoded value does not decode: \(error); encoding: \(hex(first))")
    }
    var second = ByteBuffer()
    guard (try? MsgpackValueCodec.encode(again, into: &second)) != nil, second == first else {
        fatalError("value encoding is not stable: \(hex(first)); input: \(hex(input))")
    }
    if !containsNaN(value) && again != value {
        fatalError("value round trip changed \(value) to \(again)")
    }
}

private func containsNaN(_ value: WampValue) -> Bool {
    switch value {
    case .double(let double): double.isNaN
    case .array(let elements): elements.contains(where: containsNaN)
    case .map(let members): members.contains { containsNaN($0.value) }
    default: false
    }
}
