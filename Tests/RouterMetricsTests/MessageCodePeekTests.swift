import NIOCore
@testable import RouterMetrics
import WampMessages
import XCTest

/// The outbound message type is read from the encoded bytes: the same answer as the encoder's
/// code for every serialization, and 0 for bytes that are no WAMP message.
final class MessageCodePeekTests: XCTestCase {
    private let messages: [WampMessage] = [
        .published(Published(request: 1, publication: 2)),
        .subscribed(Subscribed(request: 3, subscription: 4)),
        .unsubscribed(Unsubscribed(request: 5)),
        .event(Event(subscription: 6, publication: 7, details: .emptyObject)),
        .error(ErrorMessage(requestType: .call, request: 8, error: "wamp.error.no_such_procedure", message: "none")),
    ]

    func testEveryEncoderAgreesWithThePeek() throws {
        for serialization in WampSerialization.allCases {
            for message in messages {
                let encoded = try serialization.encode(message)
                XCTAssertEqual(MessageCodePeek.code(of: encoded.bytes, serialization: serialization), Int(message.code.rawValue),
                               "\(message.code.name) in \(serialization)")
            }
        }
    }

    func testEveryCodeInHandMadeFrames() {
        for code in MessageCode.allCases {
            let value = UInt8(code.rawValue)
            XCTAssertEqual(peek(Array("[\(value),1]".utf8), .json), Int(value))
            XCTAssertEqual(peek(Array("[ \n\(value) ,1]".utf8), .json), Int(value))
            XCTAssertEqual(peek([0x92, value, 0x01], .msgpack), Int(value))
            XCTAssertEqual(peek([0xDC, 0x00, 0x02, value, 0x01], .msgpack), Int(value))
            let cborCode: [UInt8] = value <= 23 ? [value] : [0x18, value]
            XCTAssertEqual(peek([0x82] + cborCode + [0x01], .cbor), Int(value))
            XCTAssertEqual(peek([0x9F] + cborCode + [0xFF], .cbor), Int(value))
        }
    }

    func testWhatIsNoMessageCountsAsCodeZero() {
        XCTAssertEqual(peek([], .json), 0)
        XCTAssertEqual(peek(Array("{}".utf8), .json), 0)
        XCTAssertEqual(peek(Array("[\"x\"]".utf8), .json), 0)
        XCTAssertEqual(peek(Array("[999]".utf8), .json), 0, "beyond every code")
        XCTAssertEqual(peek([0x80 | 0x01], .msgpack), 0, "a map, not an array")
        XCTAssertEqual(peek([0x91], .msgpack), 0, "cut short")
        XCTAssertEqual(peek([0x81, 0x19, 0x01, 0x00], .cbor), 0, "a two-byte integer is no code")
        XCTAssertEqual(peek([0xA1], .cbor), 0, "a map")
    }

    private func peek(_ bytes: [UInt8], _ serialization: WampSerialization) -> Int {
        MessageCodePeek.code(of: ByteBuffer(bytes: bytes), serialization: serialization)
    }
}
