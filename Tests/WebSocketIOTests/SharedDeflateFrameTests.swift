import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import XCTest

@testable import WebSocketIO

/// A `WebSocketFrameCache` that counts how often each key's frame was made (i.e. for
/// compressed keys, how often the message was compressed).
final class CountingFrameCache: WebSocketFrameCache, @unchecked Sendable {
    private let lock = NIOLock()
    private var frames: [Int: ByteBuffer] = [:]
    private(set) var made: [Int: Int] = [:]

    func encoding(key: Int, orMake make: () -> ByteBuffer) -> ByteBuffer {
        self.lock.withLock {
            if let frame = self.frames[key] { return frame }
            let frame = make()
            self.frames[key] = frame
            self.made[key, default: 0] += 1
            return frame
        }
    }
}

/// Fan-out with permessage-deflate: connections compressing without context takeover share one
/// compressed frame per window size; connections with context takeover compress their own.
final class SharedDeflateFrameTests: XCTestCase {
    private let payload = ByteBuffer(string: "[36,1,2,{},[\"" + String(repeating: "fan-out event payload ", count: 40) + "\"]]")

    /// Every buffer the connection wrote since the last call, one element per write.
    private func writes(_ server: EmbeddedServer) throws -> [ByteBuffer] {
        var written: [ByteBuffer] = []
        while let part = try server.channel.readOutbound(as: IOData.self) {
            if case .byteBuffer(let buffer) = part { written.append(buffer) }
        }
        return written
    }

    private func upgraded(extensions: String?, contextTakeover: Bool = true) throws -> (EmbeddedServer, String) {
        var configuration = WebSocketServerConfiguration()
        configuration.deflateServerContextTakeover = contextTakeover
        let server = try EmbeddedServer(configuration: configuration)
        let response = try server.upgrade(extensions: extensions)
        return (server, response)
    }

    private func send(_ payload: ByteBuffer, to server: EmbeddedServer, cache: any WebSocketFrameCache) throws -> [ByteBuffer] {
        server.recorder.connection?.send(payload, kind: .text, frameCache: cache)
        server.channel.embeddedEventLoop.run()
        return try self.writes(server)
    }

    /// Inflates one compressed server frame as a client would.
    private func inflate(_ frame: TestFrame, with inflater: PerMessageDeflateDecompressor) throws -> ByteBuffer {
        var output = ByteBuffer()
        try inflater.inflate(frame.payload, into: &output, limit: 1 << 20)
        try inflater.finishMessage(into: &output, limit: 1 << 20)
        return output
    }

    func testNoContextTakeoverConnectionsShareOneCompressedFrame() throws {
        let (first, _) = try self.upgraded(extensions: "permessage-deflate; server_no_context_takeover")
        let (second, _) = try self.upgraded(extensions: "permessage-deflate; server_no_context_takeover; client_max_window_bits")
        let inflaters = [try PerMessageDeflateDecompressor(noContextTakeover: true),
                         try PerMessageDeflateDecompressor(noContextTakeover: true)]
        for round in 0..<3 {
            let cache = CountingFrameCache()
            let a = try self.send(self.payload, to: first, cache: cache)
            let b = try self.send(self.payload, to: second, cache: cache)
            XCTAssertEqual(a.count, 1, "one write: the whole shared frame")
            XCTAssertEqual(b.count, 1)
            XCTAssertEqual(a.first, b.first, "byte-identical frames")
            XCTAssertEqual(a.first?.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) },
                           b.first?.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) }, "the same buffer")
            XCTAssertEqual(cache.made, [WebSocketFrameCacheKey.compressed(windowBits: 15): 1],
                           "compressed once for both connections (round \(round))")
            for (written, inflater) in zip([a, b], inflaters) {
                let frames = try TestBytes.parseFrames(try XCTUnwrap(written.first))
                XCTAssertEqual(frames.count, 1)
                let frame = try XCTUnwrap(frames.first)
                XCTAssertTrue(frame.header.rsv1, "compressed")
                XCTAssertEqual(frame.header.opcode, 0x1)
                XCTAssertLessThan(frame.payload.readableBytes, self.payload.readableBytes)
                XCTAssertEqual(try self.inflate(frame, with: inflater), self.payload)
            }
        }
    }

    func testSharedCompressedFrameEqualsWhatTheConnectionWouldCompressAlone() throws {
        let (server, _) = try self.upgraded(extensions: "permessage-deflate; server_no_context_takeover")
        server.recorder.connection?.send(self.payload, kind: .text)
        server.channel.embeddedEventLoop.run()
        var alone = ByteBuffer()
        for var part in try self.writes(server) { alone.writeBuffer(&part) }
        let shared = try self.send(self.payload, to: server, cache: CountingFrameCache())
        XCTAssertEqual(shared.first, alone, "without context takeover the frame depends on the message only")
    }

    func testContextTakeoverConnectionCompressesItsOwnCopy() throws {
        let (server, response) = try self.upgraded(extensions: "permessage-deflate")
        XCTAssertFalse(response.contains("server_no_context_takeover"), response)
        let inflater = try PerMessageDeflateDecompressor(noContextTakeover: false)
        // Little repetition inside the message, so what the second copy saves is the history.
        let payload = ByteBuffer(string: "[36,1,2,{},[" + (0..<150).map { "\"item \($0 * 7919 % 10007)\"" }.joined(separator: ",") + "]]")
        var sizes: [Int] = []
        for _ in 0..<2 {
            let cache = CountingFrameCache()
            var written = ByteBuffer()
            for var part in try self.send(payload, to: server, cache: cache) { written.writeBuffer(&part) }
            XCTAssertEqual(cache.made, [:], "no shared frame: its output depends on its history")
            let frame = try XCTUnwrap(try TestBytes.parseFrames(written).first)
            XCTAssertTrue(frame.header.rsv1)
            XCTAssertEqual(try self.inflate(frame, with: inflater), payload)
            sizes.append(frame.payload.readableBytes)
        }
        XCTAssertLessThan(sizes[1], sizes[0] / 4, "the repeated message compresses against the previous one")
    }

    func testOneCachePerMessageServesEachWireFormOnce() throws {
        let (plain, _) = try self.upgraded(extensions: nil)
        let (window15, _) = try self.upgraded(extensions: "permessage-deflate; server_no_context_takeover")
        let (window10, _) = try self.upgraded(extensions: "permessage-deflate; server_no_context_takeover; server_max_window_bits=10")
        let (window10Again, _) = try self.upgraded(extensions: "permessage-deflate; server_max_window_bits=10",
                                                   contextTakeover: false)
        let (takeover, _) = try self.upgraded(extensions: "permessage-deflate")
        let cache = CountingFrameCache()
        let plainFrame = try self.send(self.payload, to: plain, cache: cache)
        let frame15 = try self.send(self.payload, to: window15, cache: cache)
        let frame10 = try self.send(self.payload, to: window10, cache: cache)
        let frame10Again = try self.send(self.payload, to: window10Again, cache: cache)
        _ = try self.send(self.payload, to: takeover, cache: cache)
        XCTAssertEqual(cache.made, [WebSocketFrameCacheKey.uncompressed: 1, WebSocketFrameCacheKey.compressed(windowBits: 15): 1,
                                    WebSocketFrameCacheKey.compressed(windowBits: 10): 1])
        XCTAssertEqual(frame10, frame10Again)
        XCTAssertEqual(plainFrame.first, WebSocketFrameWriter.preparedFrame(self.payload, kind: .text))
        for written in [frame15, frame10] {
            let frame = try XCTUnwrap(try TestBytes.parseFrames(try XCTUnwrap(written.first)).first)
            XCTAssertTrue(frame.header.rsv1)
            XCTAssertEqual(try self.inflate(frame, with: try PerMessageDeflateDecompressor(noContextTakeover: true)), self.payload)
        }
    }

    func testNoContextTakeoverPolicyAnswersEveryOfferWithServerNoContextTakeover() throws {
        let (server, response) = try self.upgraded(extensions: "permessage-deflate; client_max_window_bits", contextTakeover: false)
        let line = try XCTUnwrap(response.split(separator: "\r\n").first { $0.lowercased().hasPrefix("sec-websocket-extensions:") })
        let value = String(line.drop { $0 != ":" }.dropFirst())
        let parsed = try WebSocketExtensionParameters.parse(headerValue: value)
        // What our own client (and a browser) does with that answer: inflate with a reset per message.
        let client = try XCTUnwrap(try PerMessageDeflateNegotiation.clientAccept(response: parsed))
        XCTAssertTrue(client.receiveNoContextTakeover)
        let inflater = try PerMessageDeflateDecompressor(noContextTakeover: client.receiveNoContextTakeover)
        for _ in 0..<2 {
            let written = try self.send(self.payload, to: server, cache: CountingFrameCache())
            let frame = try XCTUnwrap(try TestBytes.parseFrames(try XCTUnwrap(written.first)).first)
            XCTAssertEqual(try self.inflate(frame, with: inflater), self.payload)
        }
    }
}

final class PerMessageDeflateContextTakeoverPolicyTests: XCTestCase {
    private func accept(_ header: String, serverContextTakeover: Bool) throws -> (PerMessageDeflateConfiguration, String)? {
        let offers = try WebSocketExtensionParameters.parse(headerValue: header)
        return PerMessageDeflateNegotiation.serverAccept(offers: offers, serverContextTakeover: serverContextTakeover)
            .map { ($0.configuration, $0.response.headerValue) }
    }

    func testPolicyAddsServerNoContextTakeoverToABrowserOffer() throws {
        let accepted = try XCTUnwrap(try self.accept("permessage-deflate; client_max_window_bits", serverContextTakeover: false))
        XCTAssertEqual(accepted.1, "permessage-deflate; server_no_context_takeover")
        XCTAssertEqual(accepted.0, PerMessageDeflateConfiguration(sendNoContextTakeover: true))
    }

    func testPolicyDoesNotRepeatAParameterTheClientAskedFor() throws {
        let accepted = try XCTUnwrap(try self.accept(
            "permessage-deflate; server_no_context_takeover; server_max_window_bits=12", serverContextTakeover: false))
        XCTAssertEqual(accepted.1, "permessage-deflate; server_no_context_takeover; server_max_window_bits=12")
        XCTAssertEqual(accepted.0, PerMessageDeflateConfiguration(sendMaxWindowBits: 12, sendNoContextTakeover: true))
    }

    func testPolicyStillDeclinesInvalidOffersAndTakesTheNextOne() throws {
        let accepted = try XCTUnwrap(try self.accept(
            "permessage-deflate; server_max_window_bits=16, permessage-deflate; client_no_context_takeover",
            serverContextTakeover: false))
        XCTAssertEqual(accepted.1, "permessage-deflate; server_no_context_takeover; client_no_context_takeover")
        XCTAssertNil(try self.accept("permessage-deflate; mystery", serverContextTakeover: false))
    }

    func testDefaultKeepsContextTakeoverUnlessTheClientAsks() throws {
        let plain = try XCTUnwrap(try self.accept("permessage-deflate; client_max_window_bits", serverContextTakeover: true))
        XCTAssertEqual(plain.1, "permessage-deflate")
        XCTAssertFalse(plain.0.sendNoContextTakeover)
        let asked = try XCTUnwrap(try self.accept("permessage-deflate; server_no_context_takeover", serverContextTakeover: true))
        XCTAssertTrue(asked.0.sendNoContextTakeover)
    }
}
