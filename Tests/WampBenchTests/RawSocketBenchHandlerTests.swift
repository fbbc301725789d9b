import NIOCore
import NIOEmbedded
import XCTest

@testable import WampBench

/// What the handler told its peer.
private final class Recorder: RawSocketBenchDelegate {
    var opened = 0
    var messages: [[UInt8]] = []
    var closeReasons: [String] = []

    func rawSocketDidOpen(_ handler: RawSocketBenchHandler) { opened += 1 }
    func rawSocket(_ handler: RawSocketBenchHandler, didReceive message: ByteBuffer) {
        messages.append(Array(message.readableBytesView))
    }
    func rawSocketDidClose(_ handler: RawSocketBenchHandler, reason: String) { closeReasons.append(reason) }
}

/// The bench's RawSocket client framing on an EmbeddedChannel: the spec's handshake and frames.
final class RawSocketBenchHandlerTests: XCTestCase {
    private var recorder: Recorder!
    private var handler: RawSocketBenchHandler!
    private var channel: EmbeddedChannel!

    override func setUp() {
        make(lengthExponent: 15)
    }

    private func make(lengthExponent: UInt8) {
        if let channel { _ = try? channel.finish(acceptAlreadyClosed: true) }
        recorder = Recorder()
        handler = RawSocketBenchHandler(serializerID: 2, lengthExponent: lengthExponent, delegate: recorder)
        channel = EmbeddedChannel(handler: handler)
    }

    override func tearDown() {
        _ = try? channel.finish(acceptAlreadyClosed: true)
    }

    private func connect() throws {
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
    }

    private func feed(_ bytes: [UInt8]) throws {
        try channel.writeInbound(ByteBuffer(bytes: bytes))
    }

    private func written() throws -> [UInt8]? {
        try channel.readOutbound(as: ByteBuffer.self).map { Array($0.readableBytesView) }
    }

    private func open() throws {
        try connect()
        _ = try written()
        try feed([0x7F, 0xF2, 0x00, 0x00])  // the router accepts: LENGTH 15, MessagePack
        XCTAssertEqual(recorder.opened, 1)
    }

    func testSendsTheHandshakeOnConnect() throws {
        try connect()
        // magic, LENGTH 15 << 4 | serializer 2 (MessagePack), two zero octets
        XCTAssertEqual(try written(), [0x7F, 0xF2, 0x00, 0x00])
        XCTAssertEqual(recorder.opened, 0)
    }

    func testAcceptsAReplySplitAndTogetherWithTheFirstFrame() throws {
        try connect()
        _ = try written()
        try feed([0x7F])
        XCTAssertEqual(recorder.opened, 0)
        // The rest of the reply (router LENGTH 1: 1,024 octets), then a message of 3 in two pieces.
        try feed([0x12, 0x00, 0x00, 0x00, 0x00, 0x00])
        XCTAssertEqual(recorder.opened, 1)
        XCTAssertEqual(handler.routerMaxLength, 1024)
        try feed([0x03, 0xAA, 0xBB, 0xCC, 0x00, 0x00, 0x00, 0x01])
        XCTAssertEqual(recorder.messages, [[0xAA, 0xBB, 0xCC]])
        try feed([0xDD])
        XCTAssertEqual(recorder.messages, [[0xAA, 0xBB, 0xCC], [0xDD]])
    }

    func testAnswersPingWithPongOfTheSamePayload() throws {
        try open()
        try feed([0x01, 0x00, 0x00, 0x02, 0x68, 0x69, 0x02, 0x00, 0x00, 0x00])
        XCTAssertEqual(try written(), [0x02, 0x00, 0x00, 0x02, 0x68, 0x69])
        XCTAssertEqual(recorder.messages, [], "neither PING nor PONG is a message")
    }

    func testWritesTheHeaderIntoTheReservedBytes() throws {
        try open()
        var message = ByteBuffer()
        message.writeRepeatingByte(0, count: RawSocketBenchHandler.frameHeaderBytes)
        message.writeBytes([0x91, 0x05])
        handler.sendMessage(message)
        channel.embeddedEventLoop.run()
        XCTAssertEqual(try written(), [0x00, 0x00, 0x00, 0x02, 0x91, 0x05])
    }

    func testRouterErrorReplyClosesWithTheReason() throws {
        try connect()
        _ = try written()
        try feed([0x7F, 0x10, 0x00, 0x00])  // error 1: serializer unsupported
        XCTAssertEqual(recorder.opened, 0)
        XCTAssertEqual(recorder.closeReasons.count, 1)
        XCTAssertTrue(recorder.closeReasons[0].contains("error 1"), recorder.closeReasons[0])
    }

    func testFramesOverOurMaximumOrWithReservedBitsOrTypesClose() throws {
        // LENGTH 0: we accept 512 octets. 513; reserved high bits; reserved type 3.
        for header: [UInt8] in [[0x00, 0x00, 0x02, 0x01], [0x10, 0x00, 0x00, 0x01], [0x03, 0x00, 0x00, 0x00]] {
            make(lengthExponent: 0)
            try connect()
            XCTAssertEqual(try written(), [0x7F, 0x02, 0x00, 0x00])
            try feed([0x7F, 0xF2, 0x00, 0x00])
            try feed(header + [0x00])
            XCTAssertEqual(recorder.closeReasons.count, 1, "\(header)")
            XCTAssertEqual(recorder.messages, [], "\(header)")
        }
    }
}
