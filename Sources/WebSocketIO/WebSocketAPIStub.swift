// Placeholder API contract; replaced by the real implementation.
import Logging
import NIOCore
import NIOWebSocket

public enum WebSocketMessageKind: Sendable { case text, binary }

public struct WebSocketCloseReason: Sendable {
    public var code: WebSocketErrorCode?
    public var reason: String
    public init(code: WebSocketErrorCode?, reason: String) { self.code = code; self.reason = reason }
}

public protocol WebSocketMessageHandler: AnyObject {
    func webSocketDidOpen(_ connection: WebSocketConnection)
    func webSocket(_ connection: WebSocketConnection, didReceive message: ByteBuffer, kind: WebSocketMessageKind)
    func webSocketDidClose(_ connection: WebSocketConnection, reason: WebSocketCloseReason)
}

public final class WebSocketConnection: Sendable {
    public let eventLoop: any EventLoop
    public let subprotocol: String?
    init(eventLoop: any EventLoop, subprotocol: String?) { self.eventLoop = eventLoop; self.subprotocol = subprotocol }
    public func send(_ payload: ByteBuffer, kind: WebSocketMessageKind = .text) { fatalError("stub") }
    public func close(code: WebSocketErrorCode, reason: String) { fatalError("stub") }
}

public struct WebSocketServerConfiguration: Sendable {
    public var host: String = "127.0.0.1"
    public var port: Int = 8080
    public var subprotocols: [String] = []
    public var requireSubprotocol: Bool = false
    public var maxMessageSize: Int = 16 << 20
    public var maxBacklogBytes: Int = 16 << 20
    public var permessageDeflate: Bool = true
    public var httpPage: String = ""
    public init() {}
}

public final class WebSocketServer: Sendable {
    public let port: Int
    init(port: Int) { self.port = port }
    public static func start(
        configuration: WebSocketServerConfiguration,
        group: any EventLoopGroup,
        logger: Logger,
        makeHandler: @escaping @Sendable (WebSocketConnection) -> any WebSocketMessageHandler
    ) async throws -> WebSocketServer { fatalError("stub") }
    public func shutdown() async throws { fatalError("stub") }
}

public enum WebSocketClient {
    public static func connect(
        host: String, port: Int, path: String = "/",
        subprotocols: [String],
        maxMessageSize: Int = 16 << 20,
        group: any EventLoopGroup,
        handler: any WebSocketMessageHandler
    ) async throws -> WebSocketConnection { fatalError("stub") }
}

public final class WebSocketEchoHandler: WebSocketMessageHandler {
    public init() {}
    public func webSocketDidOpen(_ connection: WebSocketConnection) {}
    public func webSocket(_ connection: WebSocketConnection, didReceive message: ByteBuffer, kind: WebSocketMessageKind) {
        connection.send(message, kind: kind)
    }
    public func webSocketDidClose(_ connection: WebSocketConnection, reason: WebSocketCloseReason) {}
}
