import NIOCore
import NIOWebSocket
import XCTest

@testable import WebSocketIO

/// After the assembler fails a connection it still waits for the peer's close frame. Found by
/// fuzz/Sources/FuzzWebSocketFrames (corpus file `finding-close-oversized-after-failure`): a close frame
/// with a 256-byte payload failed the connection and then its own payload came out as the peer's
/// close, so a control frame above 125 bytes was buffered and answered as a valid close.
final class InboundAssemblerAfterFailureTests: XCTestCase {
    private let mask = WebSocketMaskingKey([0x37, 0xFA, 0x21, 0x3D])!

    private func closeHeader(length: Int, fin: Bool = true) -> WebSocketFrameHeader {
        WebSocketFrameHeader(fin: fin, opcode: 0x8, maskKey: self.mask, length: length)
    }

    private func closePayload(code: UInt16, padding: Int) -> ByteBuffer {
        var payload = ByteBuffer()
        payload.writeInteger(code)
        payload.writeRepeatingByte(UInt8(ascii: "x"), count: padding)
        return payload
    }

    func testOversizedCloseFrameIsNotTakenAsThePeersClose() {
        var assembler = WebSocketInboundAssembler(role: .server, maxMessageSize: 1000, deflate: nil)
        let payload = self.closePayload(code: 1000, padding: 254)
        guard case .failure(.protocolError, _) = assembler.receive(.header(self.closeHeader(length: 256))) else {
            return XCTFail("a 256-byte close frame must fail the connection with 1002")
        }
        XCTAssertEqual(assembler.receive(.payload(payload, frameEnd: true)), .none)
    }

    func testAfterAFailureOnlyAWellFormedCloseFrameCounts() {
        var assembler = WebSocketInboundAssembler(role: .server, maxMessageSize: 1000, deflate: nil)
        let unknownOpcode = WebSocketFrameHeader(fin: true, opcode: 0x3, maskKey: self.mask, length: 0)
        guard case .failure(.protocolError, _) = assembler.receive(.header(unknownOpcode)) else {
            return XCTFail("opcode 3 must fail the connection")
        }
        XCTAssertEqual(assembler.receive(.payload(ByteBuffer(), frameEnd: true)), .none)

        // Too long, then not final: skipped, nothing buffered.
        XCTAssertEqual(assembler.receive(.header(self.closeHeader(length: 300))), .none)
        XCTAssertEqual(assembler.receive(.payload(self.closePayload(code: 1000, padding: 298), frameEnd: true)), .none)
        XCTAssertEqual(assembler.receive(.header(self.closeHeader(length: 4, fin: false))), .none)
        XCTAssertEqual(assembler.receive(.payload(self.closePayload(code: 1000, padding: 2), frameEnd: true)), .none)

        // A valid close still completes the closing handshake.
        let valid = self.closePayload(code: 1001, padding: 3)
        XCTAssertEqual(assembler.receive(.header(self.closeHeader(length: 5))), .none)
        XCTAssertEqual(assembler.receive(.payload(valid, frameEnd: true)), .close(valid))
    }
}
