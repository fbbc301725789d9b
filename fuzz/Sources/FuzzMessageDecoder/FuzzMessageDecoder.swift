import NIOCore
import WampMessages

/// libFuzzer entry: any bytes as the text of one WebSocket message.
///
/// `MessageDecoder.decode` must answer every input with a message or a `WampDecodeError` (never a
/// trap, leak or out-of-bounds read; ASan and LeakSanitizer watch the jansson side too). A message
/// that decodes must survive a round trip: its encoding decodes again, to a message whose encoding
/// is the same bytes. `WampMessage` is not `Equatable` (payloads are raw JSON slices), so the
/// encoder's output is the value compared; a first encoding may normalise (key order, number
/// spelling), a second one must not change anything.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMessageDecoder(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeBufferPointer(start: data, count: size)
    // Decode from a slice that does not start at offset 0 of its storage, as a frame payload
    // cut out of a larger read does: offsets into the buffer must be relative to its reader index.
    var framed = ByteBuffer()
    framed.writeBytes([0x81, 0x7E, 0x00, 0x00])
    framed.writeBytes(input)
    framed.moveReaderIndex(forwardBy: 4)

    let message: WampMessage
    do {
        message = try MessageDecoder.decode(framed)
    } catch {
        return 0
    }
    let first = MessageEncoder.encode(message).bytes
    let again: WampMessage
    do {
        again = try MessageDecoder.decode(first)
    } catch {
        fatalError("the encoding of a decoded message does not decode: \(error); encoding: \(String(buffer: first))")
    }
    guard again.code == message.code else {
        fatalError("round trip changed the message code \(message.code) to \(again.code)")
    }
    let second = MessageEncoder.encode(again).bytes
    guard first == second else {
        fatalError("encoding is not stable: \(String(buffer: first)) then \(String(buffer: second))")
    }
    return 0
}
