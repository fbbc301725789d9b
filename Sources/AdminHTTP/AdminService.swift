import NIOCore
import NIOHTTP1
import WebSocketIO

/// The admin endpoints behind WebSocketIO's `HTTPService` hook: `/metrics`, `/health`, the live
/// status page and its JSON feed, each behind its `AdminCredentials`.
///
/// Order of checks: who asks (403/401, before anything about the path is revealed), then the
/// path (404), then the method (405; GET and HEAD only). Every answer says `no-store`: these are
/// live figures, and a cache in between must not keep them or an authorized answer.
public struct AdminService: HTTPService {
    public let routes: [String: AdminRoute]
    public let sources: AdminSources
    /// The dedicated admin listener answers every path (404 for unknown ones); on a `web`
    /// transport shared with WebSocket and the HTTP bridge, only its own paths.
    public let answersAllPaths: Bool
    /// Loops the answers are made on (`any()`: the connection's own when it is one of them).
    private let responders: any EventLoopGroup
    /// Credentials for paths no route names (404 comes only after them).
    private let unknownPathCredentials: AdminCredentials
    /// Body bytes read for a path no route names (the smallest of the routes' limits).
    private let unknownPathBodyBytes: Int

    public init(routes: [AdminRoute], sources: AdminSources, answersAllPaths: Bool, responders: any EventLoopGroup) {
        var byPath: [String: AdminRoute] = [:]
        for route in routes where byPath[route.path] == nil { byPath[route.path] = route }
        self.routes = byPath
        self.sources = sources
        self.answersAllPaths = answersAllPaths
        self.responders = responders
        // The strictest of the configured rules: an unknown path is no way around them.
        self.unknownPathCredentials = routes.first(where: { $0.credentials.requiresCredentials })?.credentials
            ?? routes.first?.credentials ?? AdminCredentials()
        self.unknownPathBodyBytes = routes.map(\.maxBodyBytes).min() ?? AdminRoute.defaultMaxBodyBytes
    }

    /// The dedicated admin listener (`--admin-port`): the standard paths, all behind `credentials`.
    public static func listener(credentials: AdminCredentials, sources: AdminSources, responders: any EventLoopGroup,
                                maxBodyBytes: Int = AdminRoute.defaultMaxBodyBytes) -> AdminService {
        AdminService(routes: AdminRoute.standard(credentials: credentials, maxBodyBytes: maxBodyBytes), sources: sources,
                     answersAllPaths: true, responders: responders)
    }

    public func handles(path: String) -> Bool { self.answersAllPaths || self.routes[path] != nil }

    public func maxBodyBytes(for head: HTTPRequestHead, path: String) -> Int { self.routes[path]?.maxBodyBytes ?? self.unknownPathBodyBytes }

    public func respond(to request: HTTPServiceRequest) -> EventLoopFuture<HTTPServiceResponse> {
        let loop = self.responders.any()
        switch self.decide(request) {
        case .answer(let response):
            return loop.makeSucceededFuture(response)
        case .health:
            let state = self.sources.health()
            let bound = self.sources.loopBound
            return EventLoopProbe.probe(self.sources.eventLoops, bound: bound, on: loop).map { probe in
                Self.healthResponse(state: state, probe: probe, bound: bound)
            }
        case .statusJSON:
            return self.sources.statusJSON().map { body in
                Self.response(.ok, contentType: "application/json; charset=utf-8", body: body)
            }.flatMapErrorThrowing { _ in
                Self.response(.internalServerError, contentType: "text/plain; charset=utf-8", text: "status snapshot failed\n")
            }
        }
    }

    /// What a request gets: an answer now, or one that needs the loops probed or the snapshot
    /// gathered. Pure apart from reading `metrics`, so the routing and access rules test on values.
    enum Decision {
        case answer(HTTPServiceResponse)
        case health
        case statusJSON
    }

    func decide(_ request: HTTPServiceRequest) -> Decision {
        let route = self.routes[request.path]
        let credentials = route?.credentials ?? self.unknownPathCredentials
        switch credentials.decide(remote: request.remoteAddress, authorization: request.head.headers["Authorization"]) {
        case .allowed:
            break
        case .forbidden:
            return .answer(Self.response(.forbidden, contentType: "text/plain; charset=utf-8",
                                         text: "forbidden: the admin listener answers loopback peers only unless a token or basic auth is configured\n"))
        case .unauthorized:
            var response = Self.response(.unauthorized, contentType: "text/plain; charset=utf-8", text: "unauthorized\n")
            if credentials.token != nil { response.headers.add(name: "WWW-Authenticate", value: "Bearer realm=\"wamp-router admin\"") }
            if credentials.basicUser != nil { response.headers.add(name: "WWW-Authenticate", value: "Basic realm=\"wamp-router admin\", charset=\"UTF-8\"") }
            return .answer(response)
        }
        guard let route else {
            return .answer(Self.response(.notFound, contentType: "text/plain; charset=utf-8",
                                         text: "not found: the admin listener serves /, /status.json, /metrics and /health\n"))
        }
        guard request.head.method == .GET || request.head.method == .HEAD else {
            var response = Self.response(.methodNotAllowed, contentType: "text/plain; charset=utf-8", text: "method not allowed: GET or HEAD\n")
            response.headers.add(name: "Allow", value: "GET, HEAD")
            return .answer(response)
        }
        switch route.endpoint {
        case .metrics:
            guard let text = self.sources.metrics() else {
                return .answer(Self.response(.notFound, contentType: "text/plain; charset=utf-8",
                                             text: "not found: metrics are off (the router runs with --no-metrics)\n"))
            }
            return .answer(Self.response(.ok, contentType: "text/plain; version=0.0.4; charset=utf-8", text: text))
        case .health:
            return .health
        case .statusJSON:
            return .statusJSON
        case .statusPage:
            var response = Self.response(.ok, contentType: "text/html; charset=utf-8",
                                         text: StatusPage.html(feedPath: AdminRoute.feedPath(forPage: route.path)))
            // The page loads nothing from anywhere: its own inline style and script, and the feed.
            response.headers.add(name: "Content-Security-Policy",
                                 value: "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
            response.headers.add(name: "X-Frame-Options", value: "DENY")
            response.headers.add(name: "Referrer-Policy", value: "no-referrer")
            return .answer(response)
        }
    }

    static func healthResponse(state: AdminHealthState, probe: EventLoopProbe.Result, bound: TimeAmount) -> HTTPServiceResponse {
        let clusterUp = state.cluster.map { $0 == "connected" } ?? true
        let healthy = state.isServing && probe.allAnswered && clusterUp
        let phase = state.phase.unicodeScalars.allSatisfy { $0.properties.isAlphabetic } ? state.phase : "unknown"
        let cluster = state.cluster == nil ? "" : "\"cluster\":\"\(clusterUp ? "connected" : "disconnected")\","
        let body = """
            {"status":"\(phase)","healthy":\(healthy),\(cluster)"listeners":\(state.listeners),"loops":\(probe.loops),\
            "loops_answered":\(probe.answered),"loops_ok":\(probe.allAnswered),"loop_bound_ms":\(bound.nanoseconds / 1_000_000)}

            """
        return Self.response(healthy ? .ok : .serviceUnavailable, contentType: "application/json; charset=utf-8", text: body)
    }

    static func response(_ status: HTTPResponseStatus, contentType: String, text: String) -> HTTPServiceResponse {
        self.response(status, contentType: contentType, body: ByteBuffer(string: text))
    }

    static func response(_ status: HTTPResponseStatus, contentType: String, body: ByteBuffer) -> HTTPServiceResponse {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "Cache-Control", value: "no-store")
        headers.add(name: "X-Content-Type-Options", value: "nosniff")
        return HTTPServiceResponse(status: status, headers: headers, body: body)
    }
}
