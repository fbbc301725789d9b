import NIOCore
import RawSocketIO
import XCTest

/// The router's handshake state machine on bytes: every accepted shape and every error reply.
final class RawSocketHandshakeTests: XCTestCase {
    private func machine(serializers: [UInt8] = [1, 2, 3], exponent: UInt8 = 15, minimum: UInt8 = 0,
                         refusal: RawSocketHandshakeError? = nil) -> RawSocketHandshake {
        RawSocketHandshake(supportedSerializers: serializers, routerLengthExponent: exponent,
                           minimumClientLengthExponent: minimum, refusal: refusal)
    }

    private func feed(_ bytes: [UInt8], to handshake: inout RawSocketHandshake) -> (RawSocketHandshake.Action, ByteBuffer) {
        var buffer = ByteBuffer(bytes: bytes)
        return (handshake.receive(&buffer), buffer)
    }

    func testAcceptEchoesSerializerWithTheRoutersLength() {
        var handshake = machine(exponent: 14)
        let (action, rest) = feed([0x7F, 0xF1, 0, 0], to: &handshake)
        XCTAssertEqual(action, .accept(reply: [0x7F, 0xE1, 0, 0], serializer: 1, clientMaxLength: 1 << 24))
        XCTAssertEqual(rest.readableBytes, 0)
    }

    func testClientLengthZeroMeans512AndFifteenMeans16MiB() {
        var small = machine()
        XCTAssertEqual(feed([0x7F, 0x02, 0, 0], to: &small).0,
                       .accept(reply: [0x7F, 0xF2, 0, 0], serializer: 2, clientMaxLength: 512))
        var large = machine()
        XCTAssertEqual(feed([0x7F, 0xF3, 0, 0], to: &large).0,
                       .accept(reply: [0x7F, 0xF3, 0, 0], serializer: 3, clientMaxLength: 16 << 20))
        for exponent in UInt8(0)...15 {
            var each = machine()
            guard case .accept(_, _, let length) = feed([0x7F, exponent << 4 | 1, 0, 0], to: &each).0 else {
                return XCTFail("exponent \(exponent) refused")
            }
            XCTAssertEqual(length, 1 << (9 + Int(exponent)))
        }
    }

    func testSplitOneOctetAtATime() {
        var handshake = machine()
        for octet in [UInt8(0x7F), 0x51, 0] {
            XCTAssertEqual(feed([octet], to: &handshake).0, .needMore)
        }
        XCTAssertEqual(feed([0], to: &handshake).0,
                       .accept(reply: [0x7F, 0xF1, 0, 0], serializer: 1, clientMaxLength: 1 << 14))
    }

    func testCoalescedWithHelloLeavesTheFrameInTheBuffer() {
        var handshake = machine()
        let hello = Array(#"[1,"realm1",{}]"#.utf8)
        let frame: [UInt8] = [0, 0, 0, UInt8(hello.count)] + hello
        let (action, rest) = feed([0x7F, 0xF1, 0, 0] + frame, to: &handshake)
        XCTAssertEqual(action, .accept(reply: [0x7F, 0xF1, 0, 0], serializer: 1, clientMaxLength: 1 << 24))
        XCTAssertEqual(rest.getBytes(at: rest.readerIndex, length: rest.readableBytes), frame)
    }

    func testUnsupportedSerializerIsError1() {
        for serializer in [UInt8(4), 5, 15] {
            var handshake = machine()
            XCTAssertEqual(feed([0x7F, 0xF0 | serializer, 0, 0], to: &handshake).0,
                           .refuse(reply: [0x7F, 0x10, 0, 0], error: .serializerUnsupported))
        }
        var jsonOnly = machine(serializers: [1])
        XCTAssertEqual(feed([0x7F, 0xF2, 0, 0], to: &jsonOnly).0,
                       .refuse(reply: [0x7F, 0x10, 0, 0], error: .serializerUnsupported), "a listener not listing MessagePack")
    }

    func testClientLengthBelowTheMinimumIsError2() {
        var handshake = machine(minimum: 3)
        XCTAssertEqual(feed([0x7F, 0x21, 0, 0], to: &handshake).0,
                       .refuse(reply: [0x7F, 0x20, 0, 0], error: .maximumLengthUnacceptable))
        var enough = machine(minimum: 3)
        guard case .accept = feed([0x7F, 0x31, 0, 0], to: &enough).0 else { return XCTFail("minimum refused") }
    }

    func testReservedOctetsAreError3() {
        for reserved in [[UInt8(1), 0], [0, 0x80], [0xFF, 0xFF]] {
            var handshake = machine()
            XCTAssertEqual(feed([0x7F, 0xF1] + reserved, to: &handshake).0,
                           .refuse(reply: [0x7F, 0x30, 0, 0], error: .reservedBitsUsed))
        }
    }

    func testConnectionLimitIsError4() {
        var handshake = machine(refusal: .maximumConnectionCountReached)
        XCTAssertEqual(feed([0x7F, 0xF1, 0, 0], to: &handshake).0,
                       .refuse(reply: [0x7F, 0x40, 0, 0], error: .maximumConnectionCountReached))
    }

    func testBadMagicFailsOnTheFirstOctet() {
        var handshake = machine()
        let (action, rest) = feed([0x47, 0x45, 0x54, 0x20], to: &handshake)  // "GET "
        guard case .fail = action else { return XCTFail("\(action)") }
        XCTAssertEqual(rest.readableBytes, 3, "decided without reading on")
    }

    func testSerializerZeroFailsWithoutAnswer() {
        var handshake = machine()
        guard case .fail = feed([0x7F, 0xF0, 0, 0], to: &handshake).0 else { return XCTFail("serializer 0 accepted") }
    }

    func testErrorRepliesHaveTheCodeInTheHighNibble() {
        for error in RawSocketHandshakeError.allCases {
            XCTAssertEqual(RawSocketHandshake.errorReply(error), [0x7F, error.rawValue << 4, 0, 0])
        }
    }

    func testRouterLengthIsTheLargestPowerNotAboveTheMaximum() {
        XCTAssertEqual(RawSocketLength.exponent(forMaxMessageSize: 16 << 20), 15)
        XCTAssertEqual(RawSocketLength.exponent(forMaxMessageSize: 64 << 20), 15, "capped at 16 MiB")
        XCTAssertEqual(RawSocketLength.exponent(forMaxMessageSize: (16 << 20) - 1), 14)
        XCTAssertEqual(RawSocketLength.exponent(forMaxMessageSize: 1 << 20), 11)
        XCTAssertEqual(RawSocketLength.exponent(forMaxMessageSize: 1000), 0)
        XCTAssertEqual(RawSocketLength.exponent(forMaxMessageSize: 100), 0, "512 is the least the handshake can say")
    }

    func testClientSideReadsAcceptanceRefusalAndNonsense() {
        var client = RawSocketClientHandshake(serializer: 2, lengthExponent: 15)
        XCTAssertEqual(client.request, [0x7F, 0xF2, 0, 0])
        var reply = ByteBuffer(bytes: [0x7F, 0x32])
        XCTAssertEqual(client.receive(&reply), .needMore)
        reply = ByteBuffer(bytes: [0, 0, 9])
        XCTAssertEqual(client.receive(&reply), .accepted(routerMaxLength: 4096))
        XCTAssertEqual(reply.readableBytes, 1)

        var refused = RawSocketClientHandshake(serializer: 1, lengthExponent: 0)
        var error = ByteBuffer(bytes: [0x7F, 0x40, 0, 0])
        XCTAssertEqual(refused.receive(&error), .refused(code: 4))

        var other = RawSocketClientHandshake(serializer: 1, lengthExponent: 0)
        var wrong = ByteBuffer(bytes: [0x7F, 0xF2, 0, 0])
        guard case .invalid = other.receive(&wrong) else { return XCTFail("another serializer accepted") }
    }
}
