import NIOCore
import XCTest

@testable import NATSClient

final class NATSHeadersTests: XCTestCase {
    func testEncodeAndParseRoundTrip() throws {
        var headers = NATSHeaders([("KV-Operation", "DEL"), ("X", "1"), ("X", "2 and more")])
        var buffer = ByteBuffer()
        let length = try headers.encode(into: &buffer)
        XCTAssertEqual(String(buffer: buffer), "NATS/1.0\r\nKV-Operation: DEL\r\nX: 1\r\nX: 2 and more\r\n\r\n")
        XCTAssertEqual(length, buffer.readableBytes)
        XCTAssertEqual(try NATSHeaders.parse(buffer), headers)
        headers.set("x", "3")
        XCTAssertEqual(headers.values("X"), ["3"])
    }

    func testStatusLines() throws {
        let noResponders = try NATSHeaders.parse(ByteBuffer(string: "NATS/1.0 503\r\n\r\n"))
        XCTAssertEqual(noResponders.status, 503)
        XCTAssertNil(noResponders.statusDescription)
        let heartbeat = try NATSHeaders.parse(
            ByteBuffer(string: "NATS/1.0 100 Idle Heartbeat\r\nNats-Last-Consumer: 4\r\n\r\n"))
        XCTAssertEqual(heartbeat.status, 100)
        XCTAssertEqual(heartbeat.statusDescription, "Idle Heartbeat")
        XCTAssertEqual(heartbeat["nats-last-consumer"], "4")
        var buffer = ByteBuffer()
        try NATSHeaders(status: 408, statusDescription: "Request Timeout").encode(into: &buffer)
        XCTAssertEqual(String(buffer: buffer), "NATS/1.0 408 Request Timeout\r\n\r\n")
    }

    func testRejectsInjection() {
        var buffer = ByteBuffer()
        XCTAssertThrowsError(try NATSHeaders([("A", "x\r\nB: y")]).encode(into: &buffer))
        XCTAssertThrowsError(try NATSHeaders([("A:B", "x")]).encode(into: &buffer))
        XCTAssertThrowsError(try NATSHeaders([("A B", "x")]).encode(into: &buffer))
        XCTAssertThrowsError(try NATSHeaders([("", "x")]).encode(into: &buffer))
        XCTAssertEqual(buffer.readableBytes, 0, "nothing is written for a rejected block")
    }

    func testMalformedBlocks() {
        for text in ["", "NATS/1.0\r\n", "HTTP/1.0\r\n\r\n", "NATS/1.0\r\nA\r\n\r\n", "NATS/1.0\nA: b\r\n\r\n",
            "NATS/1.0 12\r\n\r\n", "NATS/1.0x\r\n\r\n", "NATS/1.0\r\n: v\r\n\r\n", "NATS/1.0\r\n\r\nX"]
        {
            XCTAssertThrowsError(try NATSHeaders.parse(ByteBuffer(string: text)), text.debugDescription) { error in
                guard case NATSError.malformedHeaders = error else { return XCTFail("\(error)") }
            }
        }
    }
}
