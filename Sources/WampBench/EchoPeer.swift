import NIOCore
import NIOWebSocket
import WebSocketIO

/// One plain WebSocket connection to an echo endpoint: keeps `window` messages outstanding, each
/// carrying its send time as `[ts,"xxx"]` padded to `messageBytes`.
final class EchoPeer: WebSocketMessageHandler, @unchecked Sendable {
    let stats: LoopStats
    let window: Int
    let ready: EventLoopPromise<Void>
    let closed: EventLoopPromise<Void>
    private(set) var outstanding = 0
    private var connection: WebSocketConnection?
    private var closing = false
    private var readyDone = false
    private let messageBytes: Int
    private let allocator = ByteBufferAllocator()

    init(stats: LoopStats, window: Int, messageBytes: Int) {
        self.stats = stats
        self.window = window
        self.messageBytes = messageBytes
        self.ready = stats.loop.makePromise()
        self.closed = stats.loop.makePromise()
    }

    func webSocketDidOpen(_ connection: WebSocketConnection) {
        self.connection = connection
        readyDone = true
        ready.succeed(())
    }

    func webSocket(_ connection: WebSocketConnection, didReceive message: ByteBuffer, kind: WebSocketMessageKind) {
        let sent = message.withUnsafeReadableBytes { raw -> UInt64? in
            var s = JSONScanner(raw)
            guard s.expect(UInt8(ascii: "[")) else { return nil }
            return s.readUInt()
        }
        guard let sent else {
            stats.errors += 1
            return
        }
        outstanding -= 1
        if stats.measuring {
            stats.completed += 1
            stats.recordLatency(nowNanos() &- sent)
        }
        if stats.running && !closing { send() }
    }

    func webSocketDidClose(_ connection: WebSocketConnection, reason: WebSocketCloseReason) {
        if !closing { stats.errors += 1 }
        if !readyDone { readyDone = true; ready.fail(BenchError("closed")) }
        closed.succeed(())
        self.connection = nil
    }

    func start() {
        while outstanding < window { send() }
    }

    func close() {
        closing = true
        connection?.close(code: .normalClosure, reason: "")
    }

    private func send() {
        var message = allocator.buffer(capacity: max(messageBytes, 32))
        message.writeStaticString("[")
        message.writeDecimal(nowNanos())
        message.writeStaticString(",\"")
        let fill = messageBytes - message.readableBytes - 2
        if fill > 0 { message.writeRepeatingByte(UInt8(ascii: "x"), count: fill) }
        message.writeStaticString("\"]")
        outstanding += 1
        connection?.send(message, kind: .text)
    }
}
