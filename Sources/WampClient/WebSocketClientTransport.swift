import NIOCore
import NIOPosix
import Synchronization
import WampMessages
import WebSocketIO

/// `ClientTransport` over a WebSocket: the serializer's subprotocol, JSON in text frames,
/// MessagePack and CBOR in binary frames (spec "WebSocket Transport").
final class WebSocketClientTransport: ClientTransport {
    private let connection: WebSocketConnection
    private let kind: WebSocketMessageKind
    private let open = Atomic(true)

    init(connection: WebSocketConnection, serialization: WampSerialization) {
        self.connection = connection
        self.kind = serialization.isBinary ? .binary : .text
    }

    func send(_ bytes: ByteBuffer) { connection.send(bytes, kind: kind) }

    func close() { connection.close(code: .normalClosure, reason: "") }

    var isOpen: Bool { open.load(ordering: .acquiring) }

    func markClosed() { open.store(false, ordering: .releasing) }

    /// Dials `ws://host:port/path` offering only `serialization`'s subprotocol, so the router
    /// either speaks it or refuses the upgrade (a router that ignores the offer is closed here).
    static func connector(
        host: String, port: Int, path: String, maxMessageSize: Int,
        transportSecurity: (any WebSocketTransportSecurity)?, group: any EventLoopGroup
    ) -> ClientTransportConnector {
        let scheme = transportSecurity == nil ? "ws" : "wss"
        return ClientTransportConnector(endpoint: "\(scheme)://\(host):\(port)\(path)") { serialization, sink in
            let handler = WebSocketClientHandler(serialization: serialization, sink: sink)
            let connection = try await WebSocketClient.connect(
                host: host, port: port, path: path, subprotocols: [serialization.subprotocol],
                maxMessageSize: maxMessageSize, transportSecurity: transportSecurity, group: group, handler: handler)
            guard connection.subprotocol == serialization.subprotocol else {
                connection.close(code: .protocolError, reason: "no WAMP subprotocol")
                throw WampClientError.unexpectedMessage(
                    "the router answered subprotocol '\(connection.subprotocol ?? "")', not '\(serialization.subprotocol)'")
            }
            return handler.transport(for: connection)
        }
    }
}

/// Receives the WebSocket's messages on its event loop and passes them to the sink.
private final class WebSocketClientHandler: WebSocketMessageHandler, @unchecked Sendable {
    // Touched only on the connection's event loop (and once by the connecting task after
    // the upgrade, when the loop has already set it).
    private var current: WebSocketClientTransport?
    private let serialization: WampSerialization
    private let sink: any ClientTransportSink

    init(serialization: WampSerialization, sink: any ClientTransportSink) {
        self.serialization = serialization
        self.sink = sink
    }

    func transport(for connection: WebSocketConnection) -> WebSocketClientTransport {
        if let current { return current }
        let made = WebSocketClientTransport(connection: connection, serialization: serialization)
        current = made
        return made
    }

    func webSocketDidOpen(_ connection: WebSocketConnection) {
        _ = transport(for: connection)
    }

    func webSocket(_ connection: WebSocketConnection, didReceive message: ByteBuffer, kind: WebSocketMessageKind) {
        let transport = transport(for: connection)
        guard kind == (serialization.isBinary ? .binary : .text) else {
            sink.transport(transport, didReceiveMalformed: "\(kind) frame on \(serialization.subprotocol)")
            connection.close(code: .unacceptableData, reason: "wrong frame type for \(serialization.subprotocol)")
            return
        }
        sink.transport(transport, didReceive: message)
    }

    func webSocketDidClose(_ connection: WebSocketConnection, reason: WebSocketCloseReason) {
        let transport = transport(for: connection)
        transport.markClosed()
        sink.transportClosed(transport)
    }
}
