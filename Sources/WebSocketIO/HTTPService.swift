import NIOCore
import NIOHTTP1

/// A plain HTTP request (not a WebSocket upgrade) that a listener hands to an `HTTPService`,
/// with its whole body.
public struct HTTPServiceRequest: Sendable {
    public var head: HTTPRequestHead
    /// The request target's path, without query (what `HTTPService.handles(path:)` saw).
    public var path: String
    /// The whole body; never more than the service's `maxBodyBytes(for:)` (longer bodies are
    /// answered 413 by the listener before the service sees them).
    public var body: ByteBuffer
    public var remoteAddress: SocketAddress?
    /// The connection runs over TLS.
    public var isSecure: Bool
    /// The connection's event loop (set by the listener): where a service that has no loop of
    /// its own can make its future.
    public var eventLoop: (any EventLoop)?

    public init(head: HTTPRequestHead, path: String, body: ByteBuffer, remoteAddress: SocketAddress?, isSecure: Bool,
                eventLoop: (any EventLoop)? = nil) {
        self.head = head
        self.path = path
        self.body = body
        self.remoteAddress = remoteAddress
        self.isSecure = isSecure
        self.eventLoop = eventLoop
    }
}

/// What an `HTTPService` answers. The listener adds `Content-Length` and `Connection: close`
/// (every plain HTTP response closes its connection, as the WebSocket listener's own do).
public struct HTTPServiceResponse: Sendable {
    public var status: HTTPResponseStatus
    /// `Content-Type` and anything else the service sets.
    public var headers: HTTPHeaders
    public var body: ByteBuffer

    public init(status: HTTPResponseStatus, headers: HTTPHeaders = HTTPHeaders(), body: ByteBuffer = ByteBuffer()) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A response with a `Content-Type` and a UTF-8 body.
    public init(status: HTTPResponseStatus, contentType: String, body: String) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: contentType)
        self.init(status: status, headers: headers, body: ByteBuffer(string: body))
    }
}

/// Answers the plain HTTP requests of some paths on a listener that also serves WebSocket (a
/// Crossbar `web` transport with `publisher`/`caller` paths beside its `websocket` path) or on
/// its own (the admin listener). The WebSocket path itself and `GET /` without a service stay
/// the listener's; a path no service handles gets 404 as before.
public protocol HTTPService: Sendable {
    /// Whether this service answers requests for `path` (without query, starting with `/`).
    func handles(path: String) -> Bool
    /// The longest body accepted for this request; a longer one gets 413 without reaching
    /// `respond` (a declared `Content-Length` over it is refused before the body is read).
    func maxBodyBytes(for head: HTTPRequestHead, path: String) -> Int
    /// The answer, on any event loop (the listener writes it on the connection's loop).
    func respond(to request: HTTPServiceRequest) -> EventLoopFuture<HTTPServiceResponse>
    /// The 413 answer for a body over `limit` (see the default in the extension below).
    func bodyTooLargeResponse(for head: HTTPRequestHead, path: String, limit: Int) -> HTTPServiceResponse
}

extension HTTPService {
    /// What a body over `maxBodyBytes` is answered (413); a service that answers JSON says so
    /// in its own shape. The default is a line of text.
    public func bodyTooLargeResponse(for head: HTTPRequestHead, path: String, limit: Int) -> HTTPServiceResponse {
        HTTPServiceResponse(status: .payloadTooLarge, contentType: "text/plain; charset=utf-8", body: "request body over \(limit) bytes\n")
    }
}
