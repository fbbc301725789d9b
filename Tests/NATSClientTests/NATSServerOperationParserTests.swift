import NIOCore
import XCTest

@testable import NATSClient

final class NATSServerOperationParserTests: XCTestCase {
    /// Parses all of `bytes` in one go.
    private func parseAll(_ bytes: String, maxPayload: Int = 1 << 20) throws -> [NATSServerOperation] {
        var parser = NATSServerOperationParser(maxPayload: maxPayload)
        var buffer = ByteBuffer(string: bytes)
        var operations: [NATSServerOperation] = []
        while let operation = try parser.next(from: &buffer) { operations.append(operation) }
        XCTAssertEqual(buffer.readableBytes, 0, "left over")
        return operations
    }

    /// Feeds `bytes` split at every position (two pieces each) and byte by byte; each way must
    /// give the same operations as feeding all at once.
    private func assertSplitInvariant(_ bytes: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let whole = try parseAll(bytes)
        let all = Array(bytes.utf8)
        for cut in 0...all.count {
            XCTAssertEqual(try feed([Array(all[..<cut]), Array(all[cut...])]), whole, "cut at \(cut)", file: file, line: line)
        }
        XCTAssertEqual(try feed(all.map { [$0] }), whole, "byte by byte", file: file, line: line)
    }

    private func feed(_ pieces: [[UInt8]]) throws -> [NATSServerOperation] {
        var parser = NATSServerOperationParser()
        var buffer = ByteBuffer()
        var operations: [NATSServerOperation] = []
        for piece in pieces {
            buffer.writeBytes(piece)
            while let operation = try parser.next(from: &buffer) { operations.append(operation) }
        }
        XCTAssertEqual(buffer.readableBytes, 0)
        return operations
    }

    func testControlOperations() throws {
        XCTAssertEqual(try parseAll("PING\r\nPONG\r\n+OK\r\n-ERR 'Unknown Protocol Operation'\r\n"), [
            .ping, .pong, .ok, .err("Unknown Protocol Operation"),
        ])
        XCTAssertEqual(try parseAll("ping\r\n"), [.ping], "operation names are case-insensitive")
    }

    func testInfo() throws {
        let operations = try parseAll(
            #"INFO {"server_id":"NABC","version":"2.9.10","max_payload":2048,"headers":true,"jetstream":true}"# + "\r\n")
        guard case .info(let info) = operations.first else { return XCTFail("\(operations)") }
        XCTAssertEqual(info.serverID, "NABC")
        XCTAssertEqual(info.maxPayload, 2048)
        XCTAssertTrue(info.headers)
        XCTAssertTrue(info.jetStream)
        XCTAssertThrowsError(try parseAll("INFO {nope\r\n")) { error in
            guard case NATSError.malformedInfo = error else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try parseAll(#"INFO {"max_payload":-1}"# + "\r\n"))
    }

    func testMessage() throws {
        let operations = try parseAll("MSG a.b 7 5\r\nhello\r\nMSG a.c 8 _INBOX.x 0\r\n\r\n")
        XCTAssertEqual(operations, [
            .message(NATSMessage(subject: "a.b", sid: 7, payload: ByteBuffer(string: "hello"))),
            .message(NATSMessage(subject: "a.c", sid: 8, replyTo: "_INBOX.x", payload: ByteBuffer())),
        ])
    }

    func testHeaderMessage() throws {
        let block = "NATS/1.0\r\nA: 1\r\nA: 2\r\nB:x\r\n\r\n"
        let text = "HMSG s 1 r \(block.utf8.count) \(block.utf8.count + 3)\r\n\(block)abc\r\n"
        guard case .message(let message) = try parseAll(text).first else { return XCTFail() }
        XCTAssertEqual(message.replyTo, "r")
        XCTAssertEqual(message.headers?.values("a"), ["1", "2"])
        XCTAssertEqual(message.headers?["B"], "x")
        XCTAssertEqual(message.payload, ByteBuffer(string: "abc"))
        let status = "NATS/1.0 503\r\n\r\n"
        guard case .message(let reply) = try parseAll("HMSG _INBOX.a.1 2 16 16\r\n\(status)\r\n").first else { return XCTFail() }
        XCTAssertEqual(reply.status, 503)
        XCTAssertEqual(reply.payload.readableBytes, 0)
    }

    func testSplitAtEveryByte() throws {
        let block = "NATS/1.0 100 Idle Heartbeat\r\nNats-Last-Consumer: 0\r\n\r\n"
        try assertSplitInvariant(
            "INFO {\"server_id\":\"x\"}\r\nPING\r\nMSG a 1 r 3\r\nabc\r\n"
                + "HMSG b 2 \(block.utf8.count) \(block.utf8.count + 2)\r\n\(block)hi\r\n+OK\r\n-ERR 'x'\r\nPONG\r\n")
    }

    func testIncompleteConsumesNothing() throws {
        var parser = NATSServerOperationParser()
        var buffer = ByteBuffer(string: "MSG a 1 1000\r\nabc")
        XCTAssertNil(try parser.next(from: &buffer))
        XCTAssertEqual(buffer.readableBytes, 17)
    }

    func testBounds() throws {
        var parser = NATSServerOperationParser(maxPayload: 10)
        // A declared size over max_payload fails before any payload byte arrives.
        var big = ByteBuffer(string: "MSG a 1 999999999999\r\n")
        XCTAssertThrowsError(try parser.next(from: &big)) { error in
            XCTAssertEqual(error as? NATSError, .payloadTooLarge(size: 999_999_999_999, limit: 10))
        }
        var eleven = ByteBuffer(string: "MSG a 1 11\r\n")
        XCTAssertThrowsError(try parser.next(from: &eleven))
        var long = ByteBuffer(string: String(repeating: "A", count: 4098))
        XCTAssertThrowsError(try parser.next(from: &long)) { error in
            XCTAssertEqual(error as? NATSError, .controlLineTooLong(limit: 4096))
        }
        var justBelow = ByteBuffer(string: String(repeating: "A", count: 4097))
        XCTAssertNil(try parser.next(from: &justBelow), "4096 bytes and a CR may still end in LF")
        var hugeNumber = ByteBuffer(string: "MSG a 1 1234567890123\r\n")
        XCTAssertThrowsError(try parser.next(from: &hugeNumber))
    }

    func testMalformed() {
        let bad = [
            "FOO\r\n", "\r\n", "PING x\r\n", "PING\n", "MSG a 1\r\n", "MSG a 1 2 3 4\r\n", "MSG a x 1\r\nx\r\n",
            "MSG a 1 -1\r\n", "MSG a 1 3\r\nabcXY", "HMSG a 1 5 3\r\n", "HMSG a 1 3 3\r\nabc\r\n",
            "HMSG a 1 12 12\r\nNATS/1.0\r\nX\r\n\r\n", "HMSG a 1 14 14\r\nNATS/1.0 5x\r\n\r\n\r\n",
        ]
        for text in bad {
            var parser = NATSServerOperationParser()
            var buffer = ByteBuffer(string: text)
            XCTAssertThrowsError(try parser.next(from: &buffer), text.debugDescription) { error in
                XCTAssertTrue(error is NATSError, "\(error)")
            }
        }
    }
}
