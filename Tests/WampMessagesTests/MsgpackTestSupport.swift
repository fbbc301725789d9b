import CJansson
import NIOCore
@testable import WampMessages

/// Hex and conversion helpers for the MessagePack tests.
enum MsgpackTestSupport {
    static func bytes(_ hex: String) -> ByteBuffer {
        let digits = Array(hex.filter { !$0.isWhitespace }.utf8)
        precondition(digits.count % 2 == 0, "odd hex")
        var buffer = ByteBuffer()
        for index in stride(from: 0, to: digits.count, by: 2) {
            buffer.writeInteger(UInt8(String(decoding: digits[index...index + 1], as: UTF8.self), radix: 16)!)
        }
        return buffer
    }

    static func hex(_ buffer: ByteBuffer) -> String {
        buffer.readableBytesView.map { String($0 >> 4, radix: 16) + String($0 & 0xF, radix: 16) }.joined()
    }

    /// The MessagePack bytes of JSON text, through jansson and the encoder's jansson walker
    /// (binary spelled `"\u0000"` + base64 becomes bin).
    static func msgpack(fromJSON text: String) throws -> ByteBuffer {
        guard let value = JSONValue.parse(text) else { throw TestFailure("not JSON: \(text)") }
        var writer = MsgpackWriter(capacity: 64)
        try writer.json(value.pointer)
        return writer.buffer
    }

    static func encodeValue(_ value: WampValue) throws -> ByteBuffer {
        var buffer = ByteBuffer()
        try MsgpackValueCodec.encode(value, into: &buffer)
        return buffer
    }

    /// A message's envelope as JSON text (payload left out), to compare fields across serializers.
    static func envelopeJSON(_ message: WampMessage) -> String {
        MessageEncoder.encode(message.replacingPayload(.empty)).description
    }

    struct TestFailure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}
