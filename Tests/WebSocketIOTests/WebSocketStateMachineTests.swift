import NIOCore
import NIOWebSocket
import XCTest

@testable import WebSocketIO

final class WebSocketStateMachineTests: XCTestCase {
    func testServerAnswersPeerCloseAndClosesTCP() {
        var machine = WebSocketStateMachine(role: .server)
        XCTAssertTrue(machine.isOpen)
        XCTAssertEqual(machine.receivedClose(code: .normalClosure, reason: "bye"), .sendCloseAndCloseChannel(code: .normalClosure, reason: ""))
        XCTAssertFalse(machine.isOpen)
        XCTAssertEqual(machine.receivedClose(code: .normalClosure, reason: ""), .none, "a second close is ignored")
        XCTAssertEqual(machine.channelClosed(), WebSocketCloseReason(code: .normalClosure, reason: "bye", initiatedLocally: false))
        XCTAssertNil(machine.channelClosed(), "reported once")
        XCTAssertEqual(machine.state, .closed)
    }

    func testEmptyCloseIsAnsweredWith1000() {
        var machine = WebSocketStateMachine(role: .server)
        XCTAssertEqual(machine.receivedClose(code: nil, reason: ""), .sendCloseAndCloseChannel(code: .normalClosure, reason: ""))
    }

    func testClientWaitsForServerToCloseTCP() {
        var machine = WebSocketStateMachine(role: .client)
        XCTAssertEqual(machine.receivedClose(code: .goingAway, reason: ""), .sendCloseAndWait(code: .goingAway, reason: ""))
        XCTAssertEqual(machine.closeTimedOut(), .closeChannel)
    }

    func testLocalCloseWaitsForPeerThenServerClosesTCP() {
        var machine = WebSocketStateMachine(role: .server)
        XCTAssertEqual(machine.closeRequested(code: .protocolError, reason: "bad"), .sendCloseAndWait(code: .protocolError, reason: "bad"))
        XCTAssertEqual(machine.state, .closeSent)
        XCTAssertEqual(machine.closeRequested(code: .normalClosure, reason: ""), .none, "close only once")
        XCTAssertEqual(machine.receivedClose(code: .protocolError, reason: ""), .closeChannel)
        XCTAssertEqual(machine.channelClosed()?.code, .protocolError, "the initiator's code is reported")
    }

    func testLocalCloseOnClientWaitsForServerTCPClose() {
        var machine = WebSocketStateMachine(role: .client)
        _ = machine.closeRequested(code: .normalClosure, reason: "")
        XCTAssertEqual(machine.receivedClose(code: .normalClosure, reason: ""), .waitForChannelClose)
    }

    func testTimeoutAfterLocalClose() {
        var machine = WebSocketStateMachine(role: .server)
        XCTAssertEqual(machine.closeTimedOut(), .none, "no timeout while open")
        _ = machine.closeRequested(code: .normalClosure, reason: "")
        XCTAssertEqual(machine.closeTimedOut(), .closeChannel)
        XCTAssertEqual(machine.state, .closing)
    }

    func testInvalidPeerClose() {
        var machine = WebSocketStateMachine(role: .server)
        XCTAssertEqual(machine.receivedInvalidClose(failWith: .protocolError, reason: "code 1005"), .sendCloseAndCloseChannel(code: .protocolError, reason: "code 1005"))
        XCTAssertEqual(machine.channelClosed()?.code, .protocolError)
    }

    func testBacklogOverflowAbortsWith1008() {
        var machine = WebSocketStateMachine(role: .server)
        XCTAssertEqual(machine.backlogOverflowed(limit: 10), .sendCloseAndAbort(code: .policyViolation, reason: "outbound backlog above 10 bytes"))
        XCTAssertEqual(machine.backlogOverflowed(limit: 10), .none)
        XCTAssertEqual(machine.channelClosed()?.code, .policyViolation)
    }

    func testTCPDropWithoutHandshake() {
        var machine = WebSocketStateMachine(role: .server)
        let reason = machine.channelClosed()
        XCTAssertNil(reason?.code)
        XCTAssertNotNil(reason)
        XCTAssertEqual(machine.receivedClose(code: .normalClosure, reason: ""), .none)
    }

    func testClosePayloadValidation() {
        XCTAssertEqual(WebSocketClosePayload.parse(ByteBuffer()), .valid(code: nil, reason: ""))
        XCTAssertEqual(WebSocketClosePayload.parse(ByteBuffer(bytes: [0x03])), .invalid(.protocolError, "close frame payload of one byte"))
        for code: UInt16 in [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535] {
            guard case .invalid(.protocolError, _) = WebSocketClosePayload.parse(ByteBuffer(bytes: TestBytes.closePayload(code))) else {
                return XCTFail("code \(code) must be rejected")
            }
        }
        for code: UInt16 in [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999] {
            guard case .valid = WebSocketClosePayload.parse(ByteBuffer(bytes: TestBytes.closePayload(code))) else {
                return XCTFail("code \(code) must be accepted")
            }
        }
        guard case .invalid(.dataInconsistentWithMessage, _) = WebSocketClosePayload.parse(ByteBuffer(bytes: TestBytes.closePayload(1000) + [0xFF])) else {
            return XCTFail("invalid UTF-8 reason must be 1007")
        }
    }
}

final class WebSocketFrameParserTests: XCTestCase {
    func testHeaderSplitAcrossReadsAndChunkedMaskedPayload() throws {
        let payload = Array((0..<300).map { UInt8($0 & 0xFF) })
        let frame = TestBytes.clientFrame(opcode: 0x2, payload: payload)
        var parser = WebSocketFrameParser(maxFrameLength: 1000)
        var received: [UInt8] = []
        var header: WebSocketFrameHeader?
        var ended = false
        // Feed 3 bytes at a time.
        var offset = 0
        while offset < frame.readableBytes {
            var piece = frame.getSlice(at: offset, length: min(3, frame.readableBytes - offset))!
            offset += 3
            while let event = try parser.next(&piece) {
                switch event {
                case .header(let h): header = h
                case .payload(let chunk, let end):
                    received += Array(chunk.readableBytesView)
                    ended = end
                }
            }
        }
        XCTAssertEqual(header?.length, 300)
        XCTAssertEqual(header?.opcode, 0x2)
        XCTAssertNotNil(header?.maskKey)
        XCTAssertEqual(received, payload)
        XCTAssertTrue(ended)
    }

    func testLengthLimitAndInvalidLength() {
        var parser = WebSocketFrameParser(maxFrameLength: 10)
        var buffer = ByteBuffer(bytes: [0x82, 0x0B])
        XCTAssertThrowsError(try parser.next(&buffer)) { XCTAssertEqual($0 as? WebSocketFrameParser.ParseError, .frameTooLarge(11)) }
        var other = WebSocketFrameParser(maxFrameLength: 10)
        var huge = ByteBuffer(bytes: [0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 0])
        XCTAssertThrowsError(try other.next(&huge)) { XCTAssertEqual($0 as? WebSocketFrameParser.ParseError, .invalidLength) }
    }

    func testEmptyFrameProducesHeaderAndEmptyFinalChunk() throws {
        var parser = WebSocketFrameParser(maxFrameLength: 10)
        var buffer = ByteBuffer(bytes: [0x81, 0x00])
        guard case .header = try parser.next(&buffer) else { return XCTFail() }
        XCTAssertEqual(try parser.next(&buffer), .payload(ByteBuffer(), frameEnd: true))
        XCTAssertNil(try parser.next(&buffer))
    }
}
