import Foundation
import NIOCore
import XCTest

@testable import NATSClient

final class NATSClientOperationEncoderTests: XCTestCase {
    func testConnect() throws {
        var buffer = ByteBuffer()
        NATSClientOperationEncoder.connect(NATSConnectOptions(name: "router-1"), into: &buffer)
        let text = String(buffer: buffer)
        XCTAssertTrue(text.hasPrefix("CONNECT {"))
        XCTAssertTrue(text.hasSuffix("}\r\n"))
        let json = try JSONSerialization.jsonObject(with: Data(text.dropFirst(8).dropLast(1).utf8)) as! [String: Any]
        XCTAssertEqual(json["verbose"] as? Bool, false)
        XCTAssertEqual(json["pedantic"] as? Bool, false)
        XCTAssertEqual(json["headers"] as? Bool, true)
        XCTAssertEqual(json["no_responders"] as? Bool, true)
        XCTAssertEqual(json["name"] as? String, "router-1")
        XCTAssertNil(json["pass"], "no empty credentials are sent")
    }

    func testPublish() throws {
        var buffer = ByteBuffer()
        try NATSClientOperationEncoder.publish(subject: "a.b", replyTo: nil, headers: nil, payload: ByteBuffer(string: "hi"), into: &buffer)
        try NATSClientOperationEncoder.publish(subject: "a", replyTo: "r.1", headers: nil, payload: ByteBuffer(), into: &buffer)
        try NATSClientOperationEncoder.publish(
            subject: "a", replyTo: "r", headers: NATSHeaders([("K", "V")]), payload: ByteBuffer(string: "xyz"), into: &buffer)
        XCTAssertEqual(
            String(buffer: buffer),
            "PUB a.b 2\r\nhi\r\nPUB a r.1 0\r\n\r\nHPUB a r 18 21\r\nNATS/1.0\r\nK: V\r\n\r\nxyz\r\n")
        XCTAssertEqual(try NATSClientOperationEncoder.payloadSize(headers: NATSHeaders([("K", "V")]), payload: ByteBuffer(string: "xyz")), 21)
        for subject in ["a.*", "a b", "", "a..b", "a.>"] {
            XCTAssertThrowsError(try NATSClientOperationEncoder.publish(
                subject: subject, replyTo: nil, headers: nil, payload: ByteBuffer(), into: &buffer))
        }
        XCTAssertThrowsError(try NATSClientOperationEncoder.publish(
            subject: "a", replyTo: "x y", headers: nil, payload: ByteBuffer(), into: &buffer))
    }

    func testSubscribeUnsubscribePing() throws {
        var buffer = ByteBuffer()
        try NATSClientOperationEncoder.subscribe(subject: "a.*.>", queueGroup: nil, sid: 1, into: &buffer)
        try NATSClientOperationEncoder.subscribe(subject: "jobs", queueGroup: "workers", sid: 22, into: &buffer)
        NATSClientOperationEncoder.unsubscribe(sid: 1, max: nil, into: &buffer)
        NATSClientOperationEncoder.unsubscribe(sid: 22, max: 5, into: &buffer)
        NATSClientOperationEncoder.ping(into: &buffer)
        NATSClientOperationEncoder.pong(into: &buffer)
        XCTAssertEqual(
            String(buffer: buffer), "SUB a.*.> 1\r\nSUB jobs workers 22\r\nUNSUB 1\r\nUNSUB 22 5\r\nPING\r\nPONG\r\n")
        XCTAssertThrowsError(try NATSClientOperationEncoder.subscribe(subject: "a.>.b", queueGroup: nil, sid: 1, into: &buffer))
        XCTAssertThrowsError(try NATSClientOperationEncoder.subscribe(subject: "a", queueGroup: "q q", sid: 1, into: &buffer))
    }
}
