import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1
import NIOWebSocket
import XCTest

@testable import WebSocketIO

final class WebSocketServerEmbeddedTests: XCTestCase {
    private func wampConfiguration() -> WebSocketServerConfiguration {
        var configuration = WebSocketServerConfiguration()
        configuration.subprotocols = ["wamp.2.json", "wamp.2.msgpack"]
        configuration.requireSubprotocol = true
        return configuration
    }

    // MARK: - opening handshake

    func testUpgradeChoosesFirstSubprotocolInClientOrder() throws {
        let server = try EmbeddedServer(configuration: self.wampConfiguration())
        let response = try server.upgrade(protocols: "wamp.2.ubjson, wamp.2.json, wamp.2.msgpack")
        let lower = response.lowercased()
        XCTAssertTrue(lower.contains("sec-websocket-accept: s3pplmbitxaq9kygzzhzrbk+xoo=\r\n"), response)
        XCTAssertTrue(lower.contains("sec-websocket-protocol: wamp.2.json\r\n"), response)
        XCTAssertEqual(server.recorder.opened, 1)
        XCTAssertEqual(server.recorder.connection?.subprotocol, "wamp.2.json")
    }

    func testUpgradeRefusedWithHTTP400WhenNoSupportedSubprotocol() throws {
        let server = try EmbeddedServer(configuration: self.wampConfiguration())
        try server.writeString(EmbeddedServer.upgradeRequest(protocols: "mqtt"))
        let response = try server.readString()
        XCTAssertTrue(response.hasPrefix("HTTP/1.1 400 Bad Request"), response)
        XCTAssertTrue(response.contains("Supported subprotocols: wamp.2.json, wamp.2.msgpack"), response)
        XCTAssertTrue(response.contains("offered: mqtt"), response)
        XCTAssertFalse(server.channel.isActive, "refused upgrade must close the connection")
        XCTAssertEqual(server.recorder.opened, 0, "no session for a refused upgrade")
    }

    func testUpgradeRefusedWhenClientOffersNoSubprotocol() throws {
        let server = try EmbeddedServer(configuration: self.wampConfiguration())
        try server.writeString(EmbeddedServer.upgradeRequest())
        let response = try server.readString()
        XCTAssertTrue(response.hasPrefix("HTTP/1.1 400"), response)
        XCTAssertTrue(response.contains("offered: none"), response)
        XCTAssertEqual(server.recorder.opened, 0)
    }

    func testUpgradeWithoutSubprotocolWhenNotRequired() throws {
        let server = try EmbeddedServer()
        let response = try server.upgrade(protocols: "foo")
        XCTAssertFalse(response.lowercased().contains("sec-websocket-protocol"), response)
        XCTAssertNil(server.recorder.connection?.subprotocol)
    }

    func testPlainGetServesPageAndOtherPaths404() throws {
        var configuration = WebSocketServerConfiguration()
        configuration.httpPage = "<html><body>WAMP router</body></html>"
        let server = try EmbeddedServer(configuration: configuration)
        try server.writeString("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        let response = try server.readString()
        XCTAssertTrue(response.hasPrefix("HTTP/1.1 200 OK"), response)
        XCTAssertTrue(response.lowercased().contains("content-type: text/html"), response)
        XCTAssertTrue(response.hasSuffix("<html><body>WAMP router</body></html>"), response)

        let other = try EmbeddedServer(configuration: configuration)
        try other.writeString("GET /nope HTTP/1.1\r\nHost: localhost\r\n\r\n")
        XCTAssertTrue(try other.readString().hasPrefix("HTTP/1.1 404"))
    }

    // MARK: - messages and control frames

    func testFragmentedMessageIsReassembledWithPingInBetween() throws {
        let server = try EmbeddedServer()
        try server.upgrade()
        try server.write(TestBytes.clientFrame(opcode: 0x1, text: "Hel", fin: false))
        try server.write(TestBytes.clientFrame(opcode: 0x0, text: "lo, ", fin: false))
        try server.write(TestBytes.clientFrame(opcode: 0x9, text: "ping!"))
        XCTAssertEqual(server.recorder.messages.count, 0)
        try server.write(TestBytes.clientFrame(opcode: 0x0, text: "wörld", fin: true))
        XCTAssertEqual(server.recorder.texts, ["Hello, wörld"])
        XCTAssertEqual(server.recorder.messages.first?.1, .text)
        let frames = try server.readFrames()
        XCTAssertEqual(frames.count, 1)
        XCTAssertEqual(frames.first?.header.opcode, 0xA)
        XCTAssertEqual(frames.first?.text, "ping!")
    }

    func testPingIsAnsweredWithPongCarryingSamePayload() throws {
        let server = try EmbeddedServer()
        try server.upgrade()
        let payload: [UInt8] = [0, 1, 2, 0xFF, 0xFE]
        try server.write(TestBytes.clientFrame(opcode: 0x9, payload: payload))
        let frames = try server.readFrames()
        XCTAssertEqual(frames.map(\.header.opcode), [0xA])
        XCTAssertEqual(frames.first.map { Array($0.payload.readableBytesView) }, payload)
        XCTAssertNil(frames.first?.header.maskKey, "server frames are not masked")
        // An unsolicited pong is ignored.
        try server.write(TestBytes.clientFrame(opcode: 0xA, payload: [1]))
        XCTAssertEqual(try server.readFrames().count, 0)
        XCTAssertTrue(server.channel.isActive)
    }

    func testBinaryMessageIsEchoedWithSameKind() throws {
        let server = try EmbeddedServer(echo: true)
        try server.upgrade()
        let payload = (0..<300).map { UInt8($0 & 0xFF) }
        try server.write(TestBytes.clientFrame(opcode: 0x2, payload: payload))
        let frames = try server.readFrames()
        XCTAssertEqual(frames.count, 1)
        XCTAssertEqual(frames.first?.header.opcode, 0x2)
        XCTAssertEqual(frames.first.map { Array($0.payload.readableBytesView) }, payload)
    }

    func testInvalidUTF8ClosesWith1007AtFirstBadFragment() throws {
        let server = try EmbeddedServer()
        try server.upgrade()
        try server.write(TestBytes.clientFrame(opcode: 0x1, payload: Array("κόσμε".utf8), fin: false))
        XCTAssertEqual(try server.readFrames().count, 0)
        // 0xED 0xA0 0x80 is a UTF-16 surrogate: invalid. The message is not finished yet.
        try server.write(TestBytes.clientFrame(opcode: 0x0, payload: [0x61, 0xED, 0xA0, 0x80, 0x61], fin: false))
        let frames = try server.readFrames()
        XCTAssertEqual(frames.map(\.header.opcode), [0x8])
        XCTAssertEqual(frames.first?.closeCode, 1007)
        XCTAssertEqual(server.recorder.messages.count, 0)
    }

    func testInvalidUTF8InsideOneFrameFailsBeforeTheFrameEnds() throws {
        let server = try EmbeddedServer()
        try server.upgrade()
        let payload: [UInt8] = Array("hello".utf8) + [0xF5] + Array(repeating: 0x61, count: 100)
        let frame = TestBytes.clientFrame(opcode: 0x1, payload: payload)
        // Deliver only the header and the first 8 payload bytes (including 0xF5).
        try server.write(frame.getSlice(at: 0, length: 2 + 4 + 8)!)
        let frames = try server.readFrames()
        XCTAssertEqual(frames.map(\.header.opcode), [0x8], "must fail fast, not wait for the rest of the frame")
        XCTAssertEqual(frames.first?.closeCode, 1007)
    }

    func testTruncatedUTF8AtMessageEndCloses1007() throws {
        let server = try EmbeddedServer()
        try server.upgrade()
        try server.write(TestBytes.clientFrame(opcode: 0x1, payload: [0x61, 0xE2, 0x82]))
        XCTAssertEqual(try server.readFrames().first?.closeCode, 1007)
    }

    func testOversizeMessageCloses1009() throws {
        var configuration = WebSocketServerConfiguration()
        configuration.maxMessageSize = 100
        let server = try EmbeddedServer(configuration: configuration)
        try server.upgrade()
        try server.write(TestBytes.clientFrame(opcode: 0x2, payload: Array(repeating: 1, count: 60), fin: false))
        XCTAssertEqual(try server.readFrames().count, 0)
        try server.write(TestBytes.clientFrame(opcode: 0x0, payload: Array(repeating: 1, count: 60), fin: true))
        let frames = try server.readFrames()
        XCTAssertEqual(frames.first?.closeCode, 1009)
        XCTAssertEqual(server.recorder.messages.count, 0)

        let single = try EmbeddedServer(configuration: configuration)
        try single.upgrade()
        try single.write(TestBytes.clientFrame(opcode: 0x2, payload: Array(repeating: 1, count: 101)))
        XCTAssertEqual(try single.readFrames().first?.closeCode, 1009)
    }

    func testReservedBitsClose1002() throws {
        let server = try EmbeddedServer()
        try server.upgrade()
        try server.write(TestBytes.clientFrame(opcode: 0x1, payload: Array("x".utf8), rsv2: true))
        XCTAssertEqual(try server.readFrames().first?.closeCode, 1002)
        XCTAssertEqual(server.recorder.messages.count, 0)

        // RSV1 without negotiated permessage-deflate is also a protocol error.
        let other = try EmbeddedServer()
        try other.upgrade()
        try other.write(TestBytes.clientFrame(opcode: 0x1, payload: Array("x".utf8), rsv1: true))
        XCTAssertEqual(try other.readFrames().first?.closeCode, 1002)
    }

    func testUnknownOpcodeAndFragmentedControlFrameClose1002() throws {
        let server = try EmbeddedServer()
        try server.upgrade()
        try server.write(TestBytes.clientFrame(opcode: 0x3, payload: []))
        XCTAssertEqual(try server.readFrames().first?.closeCode, 1002)

        let other = try EmbeddedServer()
        try other.upgrade()
        try other.write(TestBytes.clientFrame(opcode: 0x9, payload: [1, 2], fin: false))
        XCTAssertEqual(try other.readFrames().first?.closeCode, 1002)

        let long = try EmbeddedServer()
        try long.upgrade()
        try long.write(TestBytes.clientFrame(opcode: 0x9, payload: Array(repeating: 0, count: 126)))
        XCTAssertEqual(try long.readFrames().first?.closeCode, 1002)
    }

    func testUnmaskedClientFrameCloses1002() throws {
        let server = try EmbeddedServer()
        try server.upgrade()
        try server.write(ByteBuffer(bytes: [0x81, 0x01, 0x61]))
        XCTAssertEqual(try server.readFrames().first?.closeCode, 1002)
    }

    // MARK: - closing handshake

    func testBadCloseCodeCloses1002() throws {
        let server = try EmbeddedServer()
        try server.upgrade()
        try server.write(TestBytes.clientFrame(opcode: 0x8, payload: TestBytes.closePayload(1005)))
        XCTAssertEqual(try server.readFrames().first?.closeCode, 1002)
        XCTAssertFalse(server.channel.isActive)
        XCTAssertEqual(server.recorder.closeReasons.count, 1)
    }

    func testCloseReasonWithInvalidUTF8Closes1007() throws {
        let server = try EmbeddedServer()
        try server.upgrade()
        try server.write(TestBytes.clientFrame(opcode: 0x8, payload: TestBytes.closePayload(1000) + [0xC0, 0x80]))
        XCTAssertEqual(try server.readFrames().first?.closeCode, 1007)
    }

    func testClientInitiatedCloseHandshake() throws {
        let server = try EmbeddedServer()
        try server.upgrade()
        try server.write(TestBytes.clientFrame(opcode: 0x8, payload: TestBytes.closePayload(3000, "bye")))
        let frames = try server.readFrames()
        XCTAssertEqual(frames.map(\.header.opcode), [0x8])
        XCTAssertEqual(frames.first?.closeCode, 3000, "the close code is echoed")
        XCTAssertFalse(server.channel.isActive, "the server closes TCP after the handshake")
        XCTAssertEqual(server.recorder.closeReasons.count, 1)
        XCTAssertEqual(server.recorder.closeReasons.first?.code, .unknown(3000))
        XCTAssertEqual(server.recorder.closeReasons.first?.reason, "bye")
    }

    func testServerInitiatedCloseWaitsForPeerThenClosesTCP() throws {
        let server = try EmbeddedServer(echo: true)
        try server.upgrade()
        let connection = try XCTUnwrap(server.recorder.connection)
        connection.close(code: .goingAway, reason: "shutdown")
        let frames = try server.readFrames()
        XCTAssertEqual(frames.map(\.header.opcode), [0x8])
        XCTAssertEqual(frames.first?.closeCode, 1001)
        XCTAssertTrue(server.channel.isActive, "waits for the peer's close frame")
        // Messages sent after close started are discarded and counted.
        let discardedBefore = WebSocketMetrics.messagesDiscardedAfterClose
        connection.send(ByteBuffer(string: "late"))
        server.channel.embeddedEventLoop.run()
        XCTAssertEqual(try server.readFrames().count, 0)
        XCTAssertGreaterThan(WebSocketMetrics.messagesDiscardedAfterClose, discardedBefore)
        try server.write(TestBytes.clientFrame(opcode: 0x8, payload: TestBytes.closePayload(1001)))
        XCTAssertFalse(server.channel.isActive)
        XCTAssertEqual(server.recorder.closeReasons.map(\.code), [.goingAway])
    }

    func testServerInitiatedCloseTimesOut() throws {
        let server = try EmbeddedServer()
        try server.upgrade()
        server.recorder.connection?.close(code: .normalClosure, reason: "")
        server.channel.embeddedEventLoop.advanceTime(by: .seconds(4))
        XCTAssertTrue(server.channel.isActive)
        server.channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        XCTAssertFalse(server.channel.isActive)
        XCTAssertEqual(server.recorder.closeReasons.count, 1)
    }

    func testTCPDropReportsCloseOnce() throws {
        let server = try EmbeddedServer()
        try server.upgrade()
        try server.channel.close().wait()
        XCTAssertEqual(server.recorder.closeReasons.count, 1)
        XCTAssertNil(server.recorder.closeReasons.first?.code)
    }

    // MARK: - outbound batching and backlog

    func testSeveralSendsAreFlushedOnce() throws {
        let server = try EmbeddedServer()
        try server.upgrade()
        let connection = try XCTUnwrap(server.recorder.connection)
        let shared = ByteBuffer(string: "event")
        for _ in 0..<5 { connection.send(shared) }
        XCTAssertEqual(server.flushCounter.flushes, 0, "nothing flushed before the tick ends")
        server.channel.embeddedEventLoop.run()
        XCTAssertEqual(server.flushCounter.flushes, 1, "one flush for the whole batch")
        let frames = try server.readFrames()
        XCTAssertEqual(frames.map(\.text), Array(repeating: "event", count: 5))
    }

    func testFanOutPayloadIsNotCopiedPerConnection() throws {
        let payload = ByteBuffer(string: String(repeating: "event payload ", count: 100))
        let payloadAddress = payload.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) }
        for _ in 0..<3 {
            let server = try EmbeddedServer()
            try server.upgrade()
            server.recorder.connection?.send(payload)
            server.channel.embeddedEventLoop.run()
            var written: [ByteBuffer] = []
            while let part = try server.channel.readOutbound(as: IOData.self) {
                if case .byteBuffer(let buffer) = part { written.append(buffer) }
            }
            XCTAssertEqual(written.count, 2, "frame header and payload written separately")
            XCTAssertEqual(written.last?.readableBytes, payload.readableBytes)
            let address = written.last?.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) }
            XCTAssertEqual(address, payloadAddress, "the payload bytes are the caller's buffer, not a copy")
        }
    }

    func testPreparedFrameIsWrittenAsOneSharedBufferWhenUncompressed() throws {
        let payload = ByteBuffer(string: String(repeating: "event payload ", count: 100))
        let frame = WebSocketFrameWriter.preparedFrame(payload, kind: .text)
        let frameAddress = frame.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) }
        for _ in 0..<3 {
            let server = try EmbeddedServer()
            try server.upgrade()
            server.recorder.connection?.send(payload, kind: .text, preparedFrame: frame)
            server.channel.embeddedEventLoop.run()
            var written: [ByteBuffer] = []
            while let part = try server.channel.readOutbound(as: IOData.self) {
                if case .byteBuffer(let buffer) = part { written.append(buffer) }
            }
            XCTAssertEqual(written.count, 1, "one write: the whole prepared frame")
            XCTAssertEqual(written.first?.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) }, frameAddress,
                           "the very buffer the caller prepared, not a copy")
            var parser = WebSocketFrameParser(maxFrameLength: 1 << 20)
            var bytes = try XCTUnwrap(written.first)
            guard case .header(let header) = try XCTUnwrap(try parser.next(&bytes)) else { return XCTFail("no header") }
            XCTAssertTrue(header.fin)
            XCTAssertEqual(header.opcode, 0x1)
            XCTAssertNil(header.maskKey)
            XCTAssertEqual(header.length, payload.readableBytes)
        }
    }

    func testPreparedFrameIsIgnoredWhenTheConnectionCompresses() throws {
        let server = try EmbeddedServer()
        try server.upgrade(extensions: "permessage-deflate")
        let payload = ByteBuffer(string: String(repeating: "event payload ", count: 100))
        let frame = WebSocketFrameWriter.preparedFrame(payload, kind: .text)
        server.recorder.connection?.send(payload, kind: .text, preparedFrame: frame)
        server.channel.embeddedEventLoop.run()
        var written = ByteBuffer()
        while let part = try server.channel.readOutbound(as: IOData.self) {
            if case .byteBuffer(var buffer) = part { written.writeBuffer(&buffer) }
        }
        XCTAssertNotEqual(written, frame)
        XCTAssertEqual(written.getInteger(at: written.readerIndex, as: UInt8.self).map { $0 & 0x40 }, 0x40, "RSV1: compressed")
        XCTAssertLessThan(written.readableBytes, frame.readableBytes)
    }

    func testEchoesDuringOneReadAreFlushedOnceAtReadComplete() throws {
        let server = try EmbeddedServer(echo: true)
        try server.upgrade()
        var bytes = ByteBuffer()
        for i in 0..<4 {
            var frame = TestBytes.clientFrame(opcode: 0x1, text: "m\(i)")
            bytes.writeBuffer(&frame)
        }
        try server.channel.writeInbound(bytes)
        XCTAssertEqual(server.flushCounter.flushes, 1)
        XCTAssertEqual(try server.readFrames().map(\.text), ["m0", "m1", "m2", "m3"])
    }

    func testBacklogOverflowClosesConnectionAndIsCounted() throws {
        var configuration = WebSocketServerConfiguration()
        configuration.maxBacklogBytes = 100
        let server = try EmbeddedServer(configuration: configuration)
        try server.upgrade()
        let connection = try XCTUnwrap(server.recorder.connection)
        let before = WebSocketMetrics.backlogOverflowClosures
        let payload = ByteBuffer(repeating: 0x41, count: 60)
        connection.send(payload)
        XCTAssertTrue(server.channel.isActive)
        connection.send(payload)  // 120 bytes queued > 100
        connection.send(payload)  // sends racing the deferred close: not a second overflow
        connection.send(payload)
        server.channel.embeddedEventLoop.run()
        XCTAssertFalse(server.channel.isActive)
        XCTAssertEqual(WebSocketMetrics.backlogOverflowClosures, before + 1, "one overflow, counted once")
        XCTAssertEqual(server.recorder.closeReasons.map(\.code), [.policyViolation])
        XCTAssertTrue(server.recorder.closeReasons.first?.reason.contains("backlog") ?? false)
    }

    // MARK: - permessage-deflate

    func testDeflateNegotiatedAndCompressedRoundTrip() throws {
        let server = try EmbeddedServer(echo: true)
        let response = try server.upgrade(extensions: "permessage-deflate; client_max_window_bits, permessage-deflate")
        XCTAssertTrue(response.lowercased().contains("sec-websocket-extensions: permessage-deflate\r\n"), response)

        // The client compresses "Hello, compressed world" * 10.
        let text = String(repeating: "Hello, compressed world! ", count: 10)
        let clientCompressor = try PerMessageDeflateCompressor(windowBits: 15, noContextTakeover: false)
        let compressed = try clientCompressor.compress(ByteBuffer(string: text), allocator: ByteBufferAllocator())
        XCTAssertLessThan(compressed.readableBytes, text.utf8.count)
        try server.write(TestBytes.clientFrame(opcode: 0x1, payload: Array(compressed.readableBytesView), rsv1: true))
        XCTAssertEqual(server.recorder.texts, [text])

        // The echo comes back compressed (RSV1) and inflates to the same text.
        let frames = try server.readFrames()
        XCTAssertEqual(frames.count, 1)
        XCTAssertEqual(frames.first?.header.rsv1, true)
        let inflater = try PerMessageDeflateDecompressor(noContextTakeover: false)
        var out = ByteBuffer()
        try inflater.inflate(frames[0].payload, into: &out, limit: 1 << 20)
        try inflater.finishMessage(into: &out, limit: 1 << 20)
        XCTAssertEqual(String(buffer: out), text)
    }

    func testCompressedMessageInflatingPastTheLimitCloses1009() throws {
        var configuration = WebSocketServerConfiguration()
        configuration.maxMessageSize = 1000
        let server = try EmbeddedServer(configuration: configuration)
        try server.upgrade(extensions: "permessage-deflate")
        let compressor = try PerMessageDeflateCompressor(windowBits: 15, noContextTakeover: true)
        let compressed = try compressor.compress(ByteBuffer(repeating: 0x61, count: 50_000), allocator: ByteBufferAllocator())
        XCTAssertLessThan(compressed.readableBytes, 1000, "small on the wire")
        try server.write(TestBytes.clientFrame(opcode: 0x1, payload: Array(compressed.readableBytesView), rsv1: true))
        XCTAssertEqual(try server.readFrames().first?.closeCode, 1009)
        XCTAssertEqual(server.recorder.messages.count, 0)
    }

    func testCompressedMessageInFragmentsIsReassembled() throws {
        let server = try EmbeddedServer()
        try server.upgrade(extensions: "permessage-deflate; client_no_context_takeover")
        let text = String(repeating: "fragmented and compressed ", count: 40)
        let compressor = try PerMessageDeflateCompressor(windowBits: 15, noContextTakeover: true)
        let compressed = Array(try compressor.compress(ByteBuffer(string: text), allocator: ByteBufferAllocator()).readableBytesView)
        let third = compressed.count / 3
        try server.write(TestBytes.clientFrame(opcode: 0x1, payload: Array(compressed[..<third]), fin: false, rsv1: true))
        try server.write(TestBytes.clientFrame(opcode: 0x0, payload: Array(compressed[third..<(2 * third)]), fin: false))
        XCTAssertEqual(server.recorder.messages.count, 0)
        try server.write(TestBytes.clientFrame(opcode: 0x0, payload: Array(compressed[(2 * third)...]), fin: true))
        XCTAssertEqual(server.recorder.texts, [text])
        // A second message on the same (reset) context.
        let again = try compressor.compress(ByteBuffer(string: text), allocator: ByteBufferAllocator())
        try server.write(TestBytes.clientFrame(opcode: 0x1, payload: Array(again.readableBytesView), rsv1: true))
        XCTAssertEqual(server.recorder.texts, [text, text])
    }

    func testDeflateOfferWithUnknownParameterIsDeclined() throws {
        let server = try EmbeddedServer()
        let response = try server.upgrade(extensions: "permessage-deflate; foo=1")
        XCTAssertFalse(response.lowercased().contains("sec-websocket-extensions"), response)
        // Without compression negotiated, RSV1 is a protocol error.
        try server.write(TestBytes.clientFrame(opcode: 0x1, payload: [0x61], rsv1: true))
        XCTAssertEqual(try server.readFrames().first?.closeCode, 1002)
    }
}
