import NIOCore
import NIOHTTP1
import NIOPosix

/// Several `HTTPService`s on one listener (a `web` transport's bridge paths beside its admin
/// paths): each request goes to the first service that handles its path, in the given order.
public struct HTTPServiceRouter: HTTPService {
    public let services: [any HTTPService]

    public init(_ services: [any HTTPService]) {
        self.services = services
    }

    /// nil for no services, the one service itself for one, else a router over them.
    public static func combining(_ services: [any HTTPService]) -> (any HTTPService)? {
        switch services.count {
        case 0: nil
        case 1: services[0]
        default: HTTPServiceRouter(services)
        }
    }

    private func service(for path: String) -> (any HTTPService)? {
        services.first { $0.handles(path: path) }
    }

    public func handles(path: String) -> Bool { service(for: path) != nil }

    public func maxBodyBytes(for head: HTTPRequestHead, path: String) -> Int {
        service(for: path)?.maxBodyBytes(for: head, path: path) ?? 0
    }

    public func bodyTooLargeResponse(for head: HTTPRequestHead, path: String, limit: Int) -> HTTPServiceResponse {
        guard let service = service(for: path) else {
            return HTTPServiceResponse(status: .payloadTooLarge, contentType: "text/plain; charset=utf-8", body: "request body over \(limit) bytes\n")
        }
        return service.bodyTooLargeResponse(for: head, path: path, limit: limit)
    }

    public func respond(to request: HTTPServiceRequest) -> EventLoopFuture<HTTPServiceResponse> {
        // The listener asked `handles` first, so a service is found; 404 if not anyway.
        guard let service = service(for: request.path) else {
            let loop = request.eventLoop ?? MultiThreadedEventLoopGroup.singleton.any()
            return loop.makeSucceededFuture(HTTPServiceResponse(status: .notFound, contentType: "text/plain; charset=utf-8", body: "not found\n"))
        }
        return service.respond(to: request)
    }
}
