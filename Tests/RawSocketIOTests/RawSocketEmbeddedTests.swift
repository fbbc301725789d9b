import Logging
import NIOCore
import NIOEmbedded
import XCTest

@testable import RawSocketIO

/// Records what a connection reports.
final class RawSocketRecorder: RawSocketMessageHandler, @unchecked Sendable {
    var connection: RawSocketConnection?
    var opened = 0
    var messages: [ByteBuffer] = []
    var pongs: [ByteBuffer] = []
    var closeReasons: [String] = []

    func rawSocketDidOpen(_ connection: RawSocketConnection) {
        self.connection = connection
        self.opened += 1
    }

    func rawSocket(_ connection: RawSocketConnection, didReceive message: ByteBuffer) { self.messages.append(message) }
    func rawSocket(_ connection: RawSocketConnection, didReceivePong payload: ByteBuffer) { self.pongs.append(payload) }
    func rawSocketDidClose(_ connection: RawSocketConnection, reason: String) { self.closeReasons.append(reason) }
}

/// The server pipeline (handshake handler, then the frame handler) on an `EmbeddedChannel`.
final class RawSocketEmbeddedTests: XCTestCase {
    private var channel: EmbeddedChannel!
    private var recorder: RawSocketRecorder!

    private func start(maxMessageSize: Int = 16 << 20, serializers: [UInt8] = [1, 2, 3], admitted: Bool = true,
                       handshakeTimeout: TimeAmount? = nil, maxMessageRate: Int = 0) throws {
        var configuration = RawSocketServerConfiguration()
        configuration.maxMessageRate = maxMessageRate
        configuration.maxMessageSize = maxMessageSize
        configuration.serializers = serializers
        configuration.handshakeTimeout = handshakeTimeout
        let recorder = RawSocketRecorder()
        self.recorder = recorder
        self.channel = EmbeddedChannel()
        try self.channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        try RawSocketServer.configurePipeline(channel: self.channel, configuration: configuration, admitted: admitted,
                                              logger: Logger(label: "test")) { _ in recorder }
    }

    private func write(_ bytes: [UInt8]) throws {
        try self.channel.writeInbound(ByteBuffer(bytes: bytes))
    }

    private func written() throws -> [UInt8] {
        var out: [UInt8] = []
        while var buffer = try self.channel.readOutbound(as: ByteBuffer.self) {
            out += buffer.readBytes(length: buffer.readableBytes)!
        }
        return out
    }

    private func frame(_ first: UInt8, _ payload: [UInt8]) -> [UInt8] {
        let length = payload.count
        return [first, UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)] + payload
    }

    func testHandshakeThenMessageBothWays() throws {
        try start(maxMessageSize: 1 << 16)
        try write([0x7F, 0x51, 0, 0])
        XCTAssertEqual(try written(), [0x7F, 0x71, 0, 0], "JSON echoed with the router's LENGTH 7 (64 KiB)")
        XCTAssertEqual(recorder.opened, 1)
        XCTAssertEqual(recorder.connection?.serializer, 1)
        XCTAssertEqual(recorder.connection?.maxOutboundMessageSize, 1 << 14)
        try write(frame(0, Array("[1]".utf8)))
        XCTAssertEqual(recorder.messages, [ByteBuffer(string: "[1]")])
        recorder.connection!.send(ByteBuffer(string: "[2]"))
        channel.embeddedEventLoop.run()
        XCTAssertEqual(try written(), frame(0, Array("[2]".utf8)))
    }

    func testHandshakeCoalescedWithHelloDeliversHello() throws {
        try start()
        try write([0x7F, 0xF1, 0, 0] + frame(0, Array(#"[1,"realm1",{}]"#.utf8)) + frame(0, [0x5B]).prefix(2))
        XCTAssertEqual(recorder.messages, [ByteBuffer(string: #"[1,"realm1",{}]"#)])
        try write(Array(frame(0, [0x5B]).dropFirst(2)))
        XCTAssertEqual(recorder.messages.count, 2, "the split second frame completes")
    }

    func testSplitHandshake() throws {
        try start()
        for octet in [UInt8(0x7F), 0xF2, 0] { try write([octet]) }
        XCTAssertEqual(recorder.opened, 0)
        XCTAssertEqual(try written(), [])
        try write([0])
        XCTAssertEqual(try written(), [0x7F, 0xF2, 0, 0])
        XCTAssertEqual(recorder.opened, 1)
    }

    func testPingIsAnsweredWithOnePongOfTheSamePayload() throws {
        try start()
        try write([0x7F, 0xF1, 0, 0])
        _ = try written()
        try write(frame(1, [1, 2, 3, 250]))
        XCTAssertEqual(try written(), frame(2, [1, 2, 3, 250]))
        XCTAssertEqual(recorder.messages, [], "a PING is no message")
    }

    func testNoUnsolicitedPing() throws {
        try start(handshakeTimeout: .seconds(1))
        try write([0x7F, 0xF1, 0, 0])
        _ = try written()
        channel.embeddedEventLoop.advanceTime(by: .seconds(600))
        XCTAssertEqual(try written(), [], "the router never pings on RawSocket")
        XCTAssertTrue(channel.isActive, "the handshake timer ended with the handshake")
    }

    func testOverlongMessageClosesTheConnection() throws {
        try start(maxMessageSize: 1024)
        try write([0x7F, 0xF1, 0, 0])
        XCTAssertEqual(try written(), [0x7F, 0x11, 0, 0])
        try write([0, 0, 0x04, 0x01])  // 1025 announced
        XCTAssertFalse(channel.isActive)
        XCTAssertEqual(recorder.closeReasons.count, 1)
        XCTAssertEqual(recorder.messages, [])
    }

    func testReservedTypeClosesTheConnection() throws {
        try start()
        try write([0x7F, 0xF1, 0, 0] + frame(3, []))
        XCTAssertFalse(channel.isActive)
    }

    func testErrorRepliesThenClose() throws {
        try start(serializers: [1])
        try write([0x7F, 0xF2, 0, 0])
        XCTAssertEqual(try written(), [0x7F, 0x10, 0, 0])
        XCTAssertFalse(channel.isActive)
        XCTAssertEqual(recorder.opened, 0)

        try start()
        try write([0x7F, 0xF1, 0, 1])
        XCTAssertEqual(try written(), [0x7F, 0x30, 0, 0])
        XCTAssertFalse(channel.isActive)

        try start(admitted: false)
        try write([0x7F, 0xF1, 0, 0])
        XCTAssertEqual(try written(), [0x7F, 0x40, 0, 0])
        XCTAssertFalse(channel.isActive)
    }

    func testBadMagicAndSerializerZeroCloseWithoutAnswer() throws {
        try start()
        try write(Array("GET / HTTP/1.1\r\n".utf8))
        XCTAssertEqual(try written(), [])
        XCTAssertFalse(channel.isActive)

        try start()
        try write([0x7F, 0xF0, 0, 0])
        XCTAssertEqual(try written(), [])
        XCTAssertFalse(channel.isActive)
    }

    func testHandshakeTimeoutClosesASilentConnection() throws {
        try start(handshakeTimeout: .seconds(10))
        try write([0x7F])
        channel.embeddedEventLoop.advanceTime(by: .seconds(9))
        XCTAssertTrue(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        XCTAssertFalse(channel.isActive)
        XCTAssertEqual(recorder.opened, 0)
    }

    func testMessageLongerThanTheClientsMaximumIsDroppedAndCounted() throws {
        try start()
        try write([0x7F, 0x01, 0, 0])  // the client takes 512 octets at most
        _ = try written()
        let before = RawSocketMetrics.oversizedMessagesDropped
        recorder.connection!.send(ByteBuffer(repeating: 0x41, count: 513))
        recorder.connection!.send(ByteBuffer(repeating: 0x42, count: 512))
        channel.embeddedEventLoop.run()
        let out = try written()
        XCTAssertEqual(out.count, 4 + 512, "only the one that fits")
        XCTAssertEqual(out.last, 0x42)
        XCTAssertGreaterThanOrEqual(RawSocketMetrics.oversizedMessagesDropped - before, 1)
        XCTAssertTrue(channel.isActive)
    }

    func testPreparedFrameIsWrittenAsItIs() throws {
        try start()
        try write([0x7F, 0xF1, 0, 0])
        _ = try written()
        let payload = ByteBuffer(string: "[36,1,2,{}]")
        recorder.connection!.send(payload, preparedFrame: RawSocketFrameWriter.frame(payload: payload))
        channel.embeddedEventLoop.run()
        XCTAssertEqual(try written(), frame(0, Array("[36,1,2,{}]".utf8)))
    }

    func testPausedReadingHoldsMessagesInOrder() throws {
        try start()
        try write([0x7F, 0xF1, 0, 0])
        recorder.connection!.pauseReading()
        try write(frame(0, [1]) + frame(0, [2]))
        XCTAssertEqual(recorder.messages, [])
        recorder.connection!.resumeReading()
        XCTAssertEqual(recorder.messages, [ByteBuffer(bytes: [1]), ByteBuffer(bytes: [2])])
    }

    func testAPeerOverTheMessageRateIsReadFromLessNeverRefused() throws {
        try start(maxMessageRate: 2)
        try write([0x7F, 0xF1, 0, 0])
        _ = try written()
        let pausesBefore = RawSocketMetrics.ratePauses
        try write((1...5).flatMap { frame(0, Array("[\($0)]".utf8)) })
        XCTAssertEqual(recorder.messages.count, 2, "the burst is the rate: two, then reading pauses")
        XCTAssertEqual(RawSocketMetrics.ratePauses, pausesBefore + 1)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(499))
        XCTAssertEqual(recorder.messages.count, 2, "still waiting for the next token")
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(1))
        XCTAssertEqual(recorder.messages.count, 3, "one token per half second at 2/s")
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        XCTAssertEqual(recorder.messages.map { String(buffer: $0) }, ["[1]", "[2]", "[3]", "[4]", "[5]"],
                       "every message arrives, in order: slowed, not dropped")
        XCTAssertTrue(channel.isActive, "the connection stays open")
    }

    func testCloseReportsOnce() throws {
        try start()
        try write([0x7F, 0xF1, 0, 0])
        recorder.connection!.close(reason: "bye")
        channel.embeddedEventLoop.run()
        XCTAssertFalse(channel.isActive)
        XCTAssertEqual(recorder.closeReasons, ["bye"])
        recorder.connection!.send(ByteBuffer(string: "late"))
        XCTAssertEqual(try written().count, 4, "only the handshake reply went out")
    }
}
