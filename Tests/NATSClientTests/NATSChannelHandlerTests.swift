import NIOCore
import NIOEmbedded
import XCTest

@testable import NATSClient

final class NATSChannelHandlerTests: XCTestCase {
    private final class Seen {
        var operations: [NATSServerOperation] = []
        var errors: [NATSError] = []
    }

    private func makeChannel(_ seen: Seen) throws -> EmbeddedChannel {
        let handler = NATSChannelHandler(
            maxControlLine: 64, onOperation: { seen.operations.append($0) }, onError: { seen.errors.append($0) })
        let channel = EmbeddedChannel(handler: handler)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 4222)).wait()
        return channel
    }

    func testOperationsAcrossReads() throws {
        let seen = Seen()
        let channel = try makeChannel(seen)
        try channel.writeInbound(ByteBuffer(string: "INFO {\"server_id\":\"s\",\"max_payload\":8}\r\nMSG a 1 3\r\nab"))
        XCTAssertEqual(seen.operations.count, 1)
        try channel.writeInbound(ByteBuffer(string: "c\r\nPI"))
        try channel.writeInbound(ByteBuffer(string: "NG\r\n"))
        XCTAssertEqual(seen.operations.dropFirst(), [
            .message(NATSMessage(subject: "a", sid: 1, payload: ByteBuffer(string: "abc"))), .ping,
        ])
        XCTAssertTrue(channel.isActive)
        _ = try? channel.finish()
    }

    func testMaxPayloadFromInfoAndCloseOnError() throws {
        let seen = Seen()
        let channel = try makeChannel(seen)
        // INFO lowers max_payload to 8: a 9-byte MSG is a protocol error and closes the channel.
        try channel.writeInbound(ByteBuffer(string: "INFO {\"server_id\":\"s\",\"max_payload\":8}\r\nMSG a 1 9\r\n"))
        XCTAssertEqual(seen.errors, [.payloadTooLarge(size: 9, limit: 8)])
        XCTAssertFalse(channel.isActive)
        _ = try? channel.writeInbound(ByteBuffer(string: "PING\r\n"))
        XCTAssertEqual(seen.operations.count, 1, "nothing is read after a protocol error")
    }

    func testControlLineBound() throws {
        let seen = Seen()
        let channel = try makeChannel(seen)
        try channel.writeInbound(ByteBuffer(string: String(repeating: "x", count: 40)))
        XCTAssertTrue(seen.errors.isEmpty)
        try channel.writeInbound(ByteBuffer(string: String(repeating: "x", count: 40)))
        XCTAssertEqual(seen.errors, [.controlLineTooLong(limit: 64)])
        XCTAssertFalse(channel.isActive)
    }
}
