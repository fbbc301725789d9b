import NIOCore
import NIOHTTP1
import WebSocketIO

/// Several services on one listener (a `web` transport with bridge and admin paths): each
/// request goes to the first that handles its path.
public struct FirstMatchHTTPService: HTTPService {
    public let services: [any HTTPService]

    public init(_ services: [any HTTPService]) { self.services = services }

    public func handles(path: String) -> Bool { services.contains { $0.handles(path: path) } }

    public func maxBodyBytes(for head: HTTPRequestHead, path: String) -> Int {
        services.first { $0.handles(path: path) }?.maxBodyBytes(for: head, path: path) ?? 0
    }

    public func respond(to request: HTTPServiceRequest) -> EventLoopFuture<HTTPServiceResponse> {
        // `handles` was true for some service before the listener called this.
        services.first { $0.handles(path: request.path) }!.respond(to: request)
    }
}
