import NIOCore
import NIOPosix
import MessageTransport
import RawSocketIO
import Synchronization
import WampMessages

/// `ClientTransport` over RawSocket (spec "RawSocket Transport"): the serializer is agreed in
/// the handshake (its id is `WampSerialization.rawValue`), every message is one frame.
final class RawSocketClientTransport: ClientTransport {
    private let connection: RawSocketConnection
    private let open = Atomic(true)

    init(connection: RawSocketConnection) { self.connection = connection }

    func send(_ bytes: ByteBuffer) { connection.send(bytes) }

    func close() { connection.close(reason: "client closed") }

    var isOpen: Bool { open.load(ordering: .acquiring) }

    func markClosed() { open.store(false, ordering: .releasing) }

    static func connector(endpoint: WampClient.RawSocketEndpoint, transportSecurity: (any TransportSecurity)?,
                          group: any EventLoopGroup) -> ClientTransportConnector {
        let target: RawSocketClient.Endpoint
        let description: String
        switch endpoint {
        case .tcp(let host, let port):
            target = .tcp(host: host, port: port)
            description = "rs://\(host):\(port)"
        case .unix(let path):
            target = .unix(path: path)
            description = "rs+unix://\(path)"
        }
        return ClientTransportConnector(endpoint: description) { serialization, sink in
            let handler = RawSocketClientHandler(sink: sink)
            let connection = try await RawSocketClient.connect(
                to: target, serializer: serialization.rawValue, transportSecurity: transportSecurity,
                group: group, handler: handler)
            return handler.transport(for: connection)
        }
    }
}

/// Receives the RawSocket's messages on its event loop and passes them to the sink.
private final class RawSocketClientHandler: RawSocketMessageHandler, @unchecked Sendable {
    // Set on the connection's event loop in `rawSocketDidOpen`, before the connecting task
    // reads it (the connect promise completes after that call).
    private var current: RawSocketClientTransport?
    private let sink: any ClientTransportSink

    init(sink: any ClientTransportSink) { self.sink = sink }

    func transport(for connection: RawSocketConnection) -> RawSocketClientTransport {
        if let current { return current }
        let made = RawSocketClientTransport(connection: connection)
        current = made
        return made
    }

    func rawSocketDidOpen(_ connection: RawSocketConnection) { _ = transport(for: connection) }

    func rawSocket(_ connection: RawSocketConnection, didReceive message: ByteBuffer) {
        sink.transport(transport(for: connection), didReceive: message)
    }

    func rawSocketDidClose(_ connection: RawSocketConnection, reason: String) {
        let transport = transport(for: connection)
        transport.markClosed()
        sink.transportClosed(transport)
    }
}

extension WampClient {
    /// Where a RawSocket router listens: TCP, or a Unix domain socket (no TCP stack, local only).
    public enum RawSocketEndpoint: Sendable {
        case tcp(host: String = "127.0.0.1", port: Int)
        case unix(path: String)
    }

    /// Connects over RawSocket, asking for `serialization` in the handshake, says HELLO for
    /// `realm` and returns once WELCOME arrives. Otherwise the same as the WebSocket `connect`.
    /// RawSocket spares the HTTP upgrade and WebSocket framing: for services next to the router.
    public static func connect(
        rawSocket endpoint: RawSocketEndpoint, realm: String,
        serialization: WampSerialization = .json,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        roles: [String] = ["caller", "callee", "publisher", "subscriber"],
        credentials: Credentials? = nil,
        reconnect: ReconnectPolicy? = nil,
        transportSecurity: (any TransportSecurity)? = nil,
        joinTimeout: Duration = .seconds(10)
    ) async throws -> WampClient {
        let connector = RawSocketClientTransport.connector(endpoint: endpoint, transportSecurity: transportSecurity, group: group)
        return try await connect(connector: connector, realm: realm, serialization: serialization, roles: roles,
                                 credentials: credentials, reconnect: reconnect, joinTimeout: joinTimeout)
    }
}
