import NIOCore
import NIOWebSocket
import WebSocketIO

/// The connection a peer talks through: a WebSocket (text frames for JSON, binary for the
/// others) or a RawSocket. An enum rather than a protocol so the per-message send is a switch,
/// not a witness-table call.
enum PeerLink {
    case webSocket(WebSocketConnection, WebSocketMessageKind)
    case rawSocket(RawSocketBenchHandler)

    /// Bytes a message buffer reserves in front of the message for the frame header, which
    /// `send` fills in: the RawSocket header is written in place instead of a second buffer.
    var headerBytes: Int {
        switch self {
        case .webSocket: 0
        case .rawSocket: RawSocketBenchHandler.frameHeaderBytes
        }
    }

    /// Sends one message that was started with `headerBytes` reserved bytes.
    @inline(__always)
    func send(_ message: ByteBuffer) {
        switch self {
        case .webSocket(let connection, let kind): connection.send(message, kind: kind)
        case .rawSocket(let handler): handler.sendMessage(message)
        }
    }

    func close() {
        switch self {
        case .webSocket(let connection, _): connection.close(code: .normalClosure, reason: "")
        case .rawSocket(let handler): handler.close()
        }
    }
}

/// What a RawSocket connection reports to the peer it carries, on the connection's loop.
protocol RawSocketBenchDelegate: AnyObject {
    func rawSocketDidOpen(_ handler: RawSocketBenchHandler)
    /// One message, without its frame header.
    func rawSocket(_ handler: RawSocketBenchHandler, didReceive message: ByteBuffer)
    /// Exactly once, however the connection ends.
    func rawSocketDidClose(_ handler: RawSocketBenchHandler, reason: String)
}
