import NIOCore
import XCTest

@testable import WebSocketIO

final class WebSocketInboundAssemblerTests: XCTestCase {
    /// Feeds client frames through the parser into `assembler`; returns every non-`.none` output.
    private func feed(_ frames: [ByteBuffer], into assembler: inout WebSocketInboundAssembler) throws -> [WebSocketInboundAssembler.Output] {
        var parser = WebSocketFrameParser(maxFrameLength: 1 << 20)
        var outputs: [WebSocketInboundAssembler.Output] = []
        for var frame in frames {
            while let event = try parser.next(&frame) {
                let output = assembler.receive(event)
                if output != .none { outputs.append(output) }
            }
        }
        return outputs
    }

    private func fragmented(_ count: Int) -> [ByteBuffer] {
        (0..<count).map { index in
            TestBytes.clientFrame(opcode: index == 0 ? 0x1 : 0x0, text: "x", fin: index == count - 1)
        }
    }

    func testMessageInExactlyMaxFragmentsIsAssembled() throws {
        var assembler = WebSocketInboundAssembler(role: .server, maxMessageSize: 1 << 20, maxFragments: 4, deflate: nil)
        let outputs = try self.feed(self.fragmented(4), into: &assembler)
        XCTAssertEqual(outputs, [.message(ByteBuffer(string: "xxxx"), .text)])
    }

    func testOneFragmentPastTheLimitFailsWith1008() throws {
        var assembler = WebSocketInboundAssembler(role: .server, maxMessageSize: 1 << 20, maxFragments: 4, deflate: nil)
        let outputs = try self.feed(self.fragmented(5), into: &assembler)
        XCTAssertEqual(outputs, [.failure(.policyViolation, "message in more than 4 fragments")])
        XCTAssertTrue(assembler.failed)
    }

    func testTheCountStartsAgainWithEachMessage() throws {
        var assembler = WebSocketInboundAssembler(role: .server, maxMessageSize: 1 << 20, maxFragments: 3, deflate: nil)
        let outputs = try self.feed(self.fragmented(3) + self.fragmented(3), into: &assembler)
        XCTAssertEqual(outputs, [.message(ByteBuffer(string: "xxx"), .text), .message(ByteBuffer(string: "xxx"), .text)])
    }

    func testInterleavedPingsAreNotFragments() throws {
        var assembler = WebSocketInboundAssembler(role: .server, maxMessageSize: 1 << 20, maxFragments: 2, deflate: nil)
        let frames = [
            TestBytes.clientFrame(opcode: 0x1, text: "a", fin: false),
            TestBytes.clientFrame(opcode: 0x9, text: "p"),
            TestBytes.clientFrame(opcode: 0x9, text: "p"),
            TestBytes.clientFrame(opcode: 0x0, text: "b", fin: true),
        ]
        let outputs = try self.feed(frames, into: &assembler)
        XCTAssertEqual(outputs, [.ping(ByteBuffer(string: "p")), .ping(ByteBuffer(string: "p")), .message(ByteBuffer(string: "ab"), .text)])
    }

    func testNoLimitByDefault() throws {
        var assembler = WebSocketInboundAssembler(role: .server, maxMessageSize: 1 << 20, deflate: nil)
        let outputs = try self.feed(self.fragmented(5000), into: &assembler)
        XCTAssertEqual(outputs, [.message(ByteBuffer(string: String(repeating: "x", count: 5000)), .text)])
    }

    func testServerClosesWith1008PastMaxFragments() throws {
        var configuration = WebSocketServerConfiguration()
        configuration.maxFragments = 2
        let server = try EmbeddedServer(configuration: configuration)
        try server.upgrade()
        for frame in self.fragmented(3) { try server.write(frame) }
        let frames = try server.readFrames()
        XCTAssertEqual(frames.last?.closeCode, 1008)
        XCTAssertTrue(frames.last?.text.contains("more than 2 fragments") ?? false)
        XCTAssertEqual(server.recorder.messages.count, 0)
    }
}
