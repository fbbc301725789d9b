import NIOCore
import WampMessages

/// libFuzzer entry: any bytes as one `wamp.2.cbor` message, and as one CBOR value.
///
/// `CBORMessageDecoder.decode` and `CBORValueCodec.decode` must answer every input with a value
/// or a typed error (never a trap, leak, out-of-bounds read, or an allocation sized by a length
/// the input declares; ASan, LeakSanitizer and -rss_limit_mb watch). What decodes must survive a
/// round trip: a decoded value re-encodes to bytes that decode to an equal value (NaN aside,
/// which equals nothing) and re-encode to the same bytes; a decoded message re-encodes to bytes
/// that decode to a message with the same code and the same encoding again.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCBORDecoder(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeBufferPointer(start: data, count: size)
    // Decode from a slice that does not start at offset 0 of its storage, as a frame payload
    // cut out of a larger read does: offsets must be relative to the reader index.
    var framed = ByteBuffer()
    framed.writeBytes([0x82, 0x7E, 0x00, 0x00])
    framed.writeBytes(input)
    framed.moveReaderIndex(forwardBy: 4)

    checkValue(framed)
    checkMessage(framed)
    return 0
}

private func checkValue(_ bytes: ByteBuffer) {
    guard let value = try? CBORValueCodec.decode(bytes) else { return }
    var first = ByteBuffer()
    do {
        try CBORValueCodec.encode(value, into: &first)
    } catch {
        fatalError("a decoded value does not encode: \(error)")
    }
    let again: WampValue
    do {
        again = try CBORValueCodec.decode(first)
    } catch {
        fatalError("the encoding of a decoded value does not decode: \(error)")
    }
    guard again == value || containsNaN(value) else {
        fatalError("value round trip changed \(value) to \(again)")
    }
    var second = ByteBuffer()
    try? CBORValueCodec.encode(again, into: &second)
    guard first == second else { fatalError("value encoding is not stable") }
}

private func checkMessage(_ bytes: ByteBuffer) {
    let message: WampMessage
    do {
        message = try CBORMessageDecoder.decode(bytes)
    } catch {
        return
    }
    let first: ByteBuffer
    do {
        first = try CBORMessageEncoder.encode(message)
    } catch {
        fatalError("a decoded CBOR message does not encode as CBOR: \(error)")
    }
    let again: WampMessage
    do {
        again = try CBORMessageDecoder.decode(first)
    } catch {
        fatalError("the encoding of a decoded message does not decode: \(error)")
    }
    guard again.code == message.code else {
        fatalError("round trip changed the message code \(message.code) to \(again.code)")
    }
    guard let second = try? CBORMessageEncoder.encode(again), first == second else {
        fatalError("message encoding is not stable")
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
