import NIOCore
import NIOPosix
import Synchronization
import XCTest

/// A WebSocket peer on a bare TCP channel: it upgrades, sends text frames, keeps every byte the
/// router sends, and never answers a ping (it has no WebSocket stack to do so).
final class SilentPeer: @unchecked Sendable {
    private final class Collector: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        let bytes = Mutex<[UInt8]>([])
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = Self.unwrapInboundIn(data)
            bytes.withLock { $0.append(contentsOf: buffer.readableBytesView) }
        }
    }

    private let channel: any Channel
    private let collector: Collector

    private init(channel: any Channel, collector: Collector) {
        self.channel = channel
        self.collector = collector
    }

    static func connect(port: Int) async throws -> SilentPeer {
        let collector = Collector()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(collector) }
            }
            .connect(host: "127.0.0.1", port: port).get()
        let peer = SilentPeer(channel: channel, collector: collector)
        try await peer.write(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: wamp.2.json\r\n\r\n"))
        try await peer.waitFor("\r\n\r\n")
        return peer
    }

    var received: [UInt8] { collector.bytes.withLock { $0 } }
    var isActive: Bool { channel.isActive }

    /// Sends one masked text frame (mask key 0: the payload goes as it is).
    func sendText(_ text: String) async throws {
        let payload = Array(text.utf8)
        var frame = ByteBuffer()
        frame.writeInteger(UInt8(0x81))
        if payload.count < 126 {
            frame.writeInteger(UInt8(0x80 | payload.count))
        } else {
            frame.writeInteger(UInt8(0x80 | 126))
            frame.writeInteger(UInt16(payload.count))
        }
        frame.writeBytes([0, 0, 0, 0])
        frame.writeBytes(payload)
        try await write(frame)
    }

    private func write(_ buffer: ByteBuffer) async throws {
        try await channel.writeAndFlush(buffer).get()
    }

    /// Waits (up to `seconds`) until the bytes received so far contain `marker`.
    func waitFor(_ marker: String, within seconds: Double = 5, file: StaticString = #filePath, line: UInt = #line) async throws {
        let needle = Array(marker.utf8)
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < deadline {
            let haystack = received
            if haystack.count >= needle.count,
               (0...(haystack.count - needle.count)).contains(where: { haystack[$0..<($0 + needle.count)].elementsEqual(needle) }) {
                return
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        XCTFail("'\(marker)' not received within \(seconds) s", file: file, line: line)
        throw CancellationError()
    }

    func close() async {
        try? await channel.close()
    }
}
