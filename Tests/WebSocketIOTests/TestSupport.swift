import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import NIOWebSocket
import XCTest

@testable import WebSocketIO

/// Records handler events. Used from one event loop at a time in each test.
final class RecordingHandler: WebSocketMessageHandler, @unchecked Sendable {
    var connection: WebSocketConnection?
    var opened = 0
    var messages: [(ByteBuffer, WebSocketMessageKind)] = []
    var closeReasons: [WebSocketCloseReason] = []
    var echo = false
    var onMessage: ((ByteBuffer) -> Void)?

    func webSocketDidOpen(_ connection: WebSocketConnection) {
        self.connection = connection
        self.opened += 1
    }

    func webSocket(_ connection: WebSocketConnection, didReceive message: ByteBuffer, kind: WebSocketMessageKind) {
        self.messages.append((message, kind))
        self.onMessage?(message)
        if self.echo { connection.send(message, kind: kind) }
    }

    func webSocketDidClose(_ connection: WebSocketConnection, reason: WebSocketCloseReason) {
        self.closeReasons.append(reason)
    }

    var texts: [String] { self.messages.map { String(buffer: $0.0) } }
}

/// Counts flushes that reach the network end of the pipeline.
final class FlushCounter: ChannelOutboundHandler, @unchecked Sendable {
    typealias OutboundIn = Any
    var flushes = 0
    func flush(context: ChannelHandlerContext) {
        self.flushes += 1
        context.flush()
    }
}

/// A frame as seen by a test peer.
struct TestFrame: Equatable {
    var header: WebSocketFrameHeader
    var payload: ByteBuffer
    var text: String { String(buffer: self.payload) }
    var closeCode: UInt16? { self.payload.getInteger(at: self.payload.readerIndex, as: UInt16.self) }
}

enum TestBytes {
    /// A client (masked) frame.
    static func clientFrame(
        opcode: UInt8, payload: [UInt8], fin: Bool = true, rsv1: Bool = false, rsv2: Bool = false,
        rsv3: Bool = false, mask: [UInt8] = [0x37, 0xFA, 0x21, 0x3D]
    ) -> ByteBuffer {
        var buffer = ByteBuffer()
        var first = opcode & 0x0F
        if fin { first |= 0x80 }
        if rsv1 { first |= 0x40 }
        if rsv2 { first |= 0x20 }
        if rsv3 { first |= 0x10 }
        buffer.writeInteger(first)
        if payload.count < 126 {
            buffer.writeInteger(UInt8(payload.count) | 0x80)
        } else if payload.count <= 0xFFFF {
            buffer.writeInteger(UInt8(126 | 0x80))
            buffer.writeInteger(UInt16(payload.count))
        } else {
            buffer.writeInteger(UInt8(127 | 0x80))
            buffer.writeInteger(UInt64(payload.count))
        }
        buffer.writeBytes(mask)
        buffer.writeBytes(payload.enumerated().map { $0.element ^ mask[$0.offset % 4] })
        return buffer
    }

    static func clientFrame(opcode: UInt8, text: String, fin: Bool = true) -> ByteBuffer {
        self.clientFrame(opcode: opcode, payload: Array(text.utf8), fin: fin)
    }

    static func closePayload(_ code: UInt16, _ reason: String = "") -> [UInt8] {
        [UInt8(code >> 8), UInt8(code & 0xFF)] + Array(reason.utf8)
    }

    /// Parses server (unmasked) frames from raw bytes.
    static func parseFrames(_ bytes: ByteBuffer) throws -> [TestFrame] {
        var parser = WebSocketFrameParser(maxFrameLength: 1 << 30)
        var buffer = bytes
        var frames: [TestFrame] = []
        var current: WebSocketFrameHeader?
        var payload = ByteBuffer()
        while let event = try parser.next(&buffer) {
            switch event {
            case .header(let header):
                current = header
                payload = ByteBuffer()
            case .payload(var chunk, let end):
                payload.writeBuffer(&chunk)
                if end, let header = current {
                    frames.append(TestFrame(header: header, payload: payload))
                }
            }
        }
        return frames
    }
}

/// An EmbeddedChannel with the server pipeline installed.
final class EmbeddedServer {
    let channel = EmbeddedChannel()
    let recorder = RecordingHandler()
    let flushCounter = FlushCounter()
    var configuration: WebSocketServerConfiguration

    init(configuration: WebSocketServerConfiguration = WebSocketServerConfiguration(), echo: Bool = false) throws {
        self.configuration = configuration
        self.recorder.echo = echo
        let recorder = self.recorder
        try self.channel.pipeline.syncOperations.addHandler(self.flushCounter)
        try WebSocketServer.configurePipeline(
            channel: self.channel,
            configuration: configuration,
            logger: Logger(label: "test"),
            makeHandler: { _ in recorder }
        )
        try self.channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 4000)).wait()
    }

    static func upgradeRequest(
        path: String = "/", protocols: String? = nil, extensions: String? = nil, origins: [String] = []
    ) -> String {
        var request = "GET \(path) HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        for origin in origins { request += "Origin: \(origin)\r\n" }
        if let protocols { request += "Sec-WebSocket-Protocol: \(protocols)\r\n" }
        if let extensions { request += "Sec-WebSocket-Extensions: \(extensions)\r\n" }
        return request + "\r\n"
    }

    func writeString(_ string: String) throws {
        try self.channel.writeInbound(ByteBuffer(string: string))
        self.channel.embeddedEventLoop.run()
    }

    func write(_ buffer: ByteBuffer) throws {
        try self.channel.writeInbound(buffer)
        self.channel.embeddedEventLoop.run()
    }

    /// All bytes written (and flushed) so far.
    func readAll() throws -> ByteBuffer {
        var all = ByteBuffer()
        while let part = try self.channel.readOutbound(as: IOData.self) {
            switch part {
            case .byteBuffer(var buffer): all.writeBuffer(&buffer)
            case .fileRegion: XCTFail("unexpected file region")
            }
        }
        return all
    }

    func readString() throws -> String { String(buffer: try self.readAll()) }

    func readFrames() throws -> [TestFrame] { try TestBytes.parseFrames(try self.readAll()) }

    /// Performs the upgrade and returns the HTTP response text.
    @discardableResult
    func upgrade(protocols: String? = nil, extensions: String? = nil) throws -> String {
        try self.writeString(Self.upgradeRequest(protocols: protocols, extensions: extensions))
        let response = try self.readString()
        XCTAssertTrue(response.hasPrefix("HTTP/1.1 101"), response)
        self.flushCounter.flushes = 0
        return response
    }
}
