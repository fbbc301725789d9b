import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization
import Testing
import WebSocketIO
@testable import AdminHTTP

/// The admin service on values: `respond(to:)` with requests built here, answered on a real loop.
@Suite struct AdminServiceTests {
    static let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
    let loopback = try! SocketAddress(ipAddress: "127.0.0.1", port: 40000)
    let remote = try! SocketAddress(ipAddress: "198.51.100.7", port: 40000)

    final class Phase: Sendable {
        let state = Mutex(AdminHealthState(phase: "starting", isServing: false, listeners: 0))
    }

    func sources(phase: Phase = Phase(), loops: [any EventLoop] = [], bound: TimeAmount = .seconds(1),
                 metrics: @escaping @Sendable () -> String? = { "# TYPE up gauge\nup 1\n" },
                 status: @escaping @Sendable () -> EventLoopFuture<ByteBuffer> = { group.next().makeSucceededFuture(ByteBuffer(string: "{\"sessions\":[]}")) })
        -> AdminSources
    {
        AdminSources(metrics: metrics, health: { phase.state.withLock { $0 } }, statusJSON: status,
                     eventLoops: loops, loopBound: bound)
    }

    func request(_ uri: String, from remote: SocketAddress?, authorization: String? = nil) -> HTTPServiceRequest {
        request(.GET, uri, from: remote, authorization: authorization)
    }

    func request(_ method: HTTPMethod, _ uri: String, from remote: SocketAddress?, authorization: String? = nil) -> HTTPServiceRequest {
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: uri)
        if let authorization { head.headers.add(name: "Authorization", value: authorization) }
        let path = String(uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
        return HTTPServiceRequest(head: head, path: path, body: ByteBuffer(), remoteAddress: remote, isSecure: false)
    }

    func text(_ response: HTTPServiceResponse) -> String { String(buffer: response.body) }

    @Test func routesTheStandardPaths() async throws {
        let service = AdminService.listener(credentials: AdminCredentials(), sources: sources(), responders: Self.group)
        #expect(service.handles(path: "/anything"))

        let metrics = try await service.respond(to: request("/metrics", from: loopback)).get()
        #expect(metrics.status == .ok)
        #expect(metrics.headers.first(name: "Content-Type") == "text/plain; version=0.0.4; charset=utf-8")
        #expect(text(metrics) == "# TYPE up gauge\nup 1\n")
        #expect(metrics.headers.first(name: "Cache-Control") == "no-store")

        let page = try await service.respond(to: request("/?x=1", from: loopback)).get()
        #expect(page.status == .ok)
        #expect(page.headers.first(name: "Content-Type") == "text/html; charset=utf-8")
        #expect(page.headers.first(name: "Content-Security-Policy")?.contains("default-src 'none'") == true)
        #expect(text(page).contains("data-feed=\"/status.json\""))

        let feed = try await service.respond(to: request("/status.json", from: loopback)).get()
        #expect(feed.status == .ok)
        #expect(feed.headers.first(name: "Content-Type") == "application/json; charset=utf-8")
        #expect(text(feed) == "{\"sessions\":[]}")

        let missing = try await service.respond(to: request("/nope", from: loopback)).get()
        #expect(missing.status == .notFound)
    }

    @Test func metricsOffIs404SayingSo() async throws {
        let service = AdminService.listener(credentials: AdminCredentials(), sources: sources(metrics: { nil }), responders: Self.group)
        let metrics = try await service.respond(to: request("/metrics", from: loopback)).get()
        #expect(metrics.status == .notFound)
        #expect(text(metrics) == "not found: metrics are off (the router runs with --no-metrics)\n")
        // Who asks is still checked first: a remote peer learns nothing about the switch.
        let remoteAnswer = try await service.respond(to: request("/metrics", from: remote)).get()
        #expect(remoteAnswer.status == .forbidden)
    }

    @Test func onlyGetAndHeadAreAllowed() async throws {
        let service = AdminService.listener(credentials: AdminCredentials(), sources: sources(), responders: Self.group)
        for method in [HTTPMethod.POST, .PUT, .DELETE, .PATCH, .OPTIONS] {
            let response = try await service.respond(to: request(method, "/metrics", from: loopback)).get()
            #expect(response.status == .methodNotAllowed, "\(method)")
            #expect(response.headers.first(name: "Allow") == "GET, HEAD")
        }
        #expect(try await service.respond(to: request(.HEAD, "/metrics", from: loopback)).get().status == .ok)
    }

    @Test func remotePeersAreRefusedBeforeThePathIsLookedAt() async throws {
        let service = AdminService.listener(credentials: AdminCredentials(), sources: sources(), responders: Self.group)
        for path in ["/", "/metrics", "/health", "/status.json", "/nope"] {
            let response = try await service.respond(to: request(path, from: remote)).get()
            #expect(response.status == .forbidden, "\(path)")
            #expect(!text(response).contains("{"))
        }
    }

    @Test func aTokenIsRequiredAndLetsRemotePeersIn() async throws {
        let service = AdminService.listener(credentials: AdminCredentials(token: "T0ken"), sources: sources(), responders: Self.group)
        let none = try await service.respond(to: request("/metrics", from: loopback)).get()
        #expect(none.status == .unauthorized)
        #expect(none.headers["WWW-Authenticate"].contains { $0.hasPrefix("Bearer") })
        #expect(!text(none).contains("T0ken"))
        let wrong = try await service.respond(to: request("/metrics", from: remote, authorization: "Bearer t0ken")).get()
        #expect(wrong.status == .unauthorized)
        let right = try await service.respond(to: request("/metrics", from: remote, authorization: "Bearer T0ken")).get()
        #expect(right.status == .ok)
        let unknown = try await service.respond(to: request("/nope", from: remote)).get()
        #expect(unknown.status == .unauthorized)
    }

    @Test func healthIs503UntilServingAnd200While() async throws {
        let phase = Phase()
        let loops = [Self.group.next(), Self.group.next()]
        let service = AdminService.listener(credentials: AdminCredentials(), sources: sources(phase: phase, loops: loops), responders: Self.group)
        let starting = try await service.respond(to: request("/health", from: loopback)).get()
        #expect(starting.status == .serviceUnavailable)
        #expect(text(starting).contains("\"status\":\"starting\""))
        #expect(text(starting).contains("\"healthy\":false"))

        phase.state.withLock { $0 = AdminHealthState(phase: "serving", isServing: true, listeners: 3) }
        let serving = try await service.respond(to: request("/health", from: loopback)).get()
        #expect(serving.status == .ok)
        let body = try JSONSerialization.jsonObject(with: Data(text(serving).utf8)) as? [String: Any]
        #expect(body?["status"] as? String == "serving")
        #expect(body?["listeners"] as? Int == 3)
        #expect(body?["loops"] as? Int == 2)
        #expect(body?["loops_ok"] as? Bool == true)
        #expect(body?["loop_bound_ms"] as? Int == 1000)

        phase.state.withLock { $0 = AdminHealthState(phase: "draining", isServing: false, listeners: 0) }
        let draining = try await service.respond(to: request("/health", from: loopback)).get()
        #expect(draining.status == .serviceUnavailable)
        #expect(text(draining).contains("\"status\":\"draining\""))
    }

    @Test func aStuckLoopMakesHealth503() async throws {
        let stuckGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let phase = Phase()
        phase.state.withLock { $0 = AdminHealthState(phase: "serving", isServing: true, listeners: 1) }
        let release = DispatchSemaphore(value: 0)
        // Blocks the loop until the probe has answered (at most 10 s, so a failure cannot hang the run).
        stuckGroup.next().execute { _ = release.wait(timeout: .now() + 10) }
        let service = AdminService.listener(
            credentials: AdminCredentials(),
            sources: sources(phase: phase, loops: [Self.group.next(), stuckGroup.next()], bound: .milliseconds(200)),
            responders: Self.group)
        let response = try await service.respond(to: request("/health", from: loopback)).get()
        release.signal()
        try await stuckGroup.shutdownGracefully()
        #expect(response.status == .serviceUnavailable)
        #expect(text(response).contains("\"loops_ok\":false"))
        #expect(text(response).contains("\"loops_answered\":1"))
    }

    @Test func aFailedSnapshotIs500() async throws {
        struct Broken: Error {}
        let service = AdminService.listener(credentials: AdminCredentials(), sources: sources(status: { Self.group.next().makeFailedFuture(Broken()) }),
                                            responders: Self.group)
        #expect(try await service.respond(to: request("/status.json", from: loopback)).get().status == .internalServerError)
    }

    @Test func webTransportRoutesAnswerOnlyTheirPaths() async throws {
        let routes = [AdminRoute(path: "/metrics", endpoint: .metrics, credentials: AdminCredentials())]
            + AdminRoute.statusPage(at: "/status", credentials: AdminCredentials(basicUser: "ops", basicPassword: "pw"))
        let service = AdminService(routes: routes, sources: sources(), answersAllPaths: false, responders: Self.group)
        #expect(service.handles(path: "/metrics"))
        #expect(service.handles(path: "/status"))
        #expect(service.handles(path: "/status/status.json"))
        #expect(!service.handles(path: "/"))
        #expect(!service.handles(path: "/ws"))
        let page = try await service.respond(to: request("/status", from: remote, authorization: "Basic b3BzOnB3")).get()
        #expect(page.status == .ok)
        #expect(text(page).contains("data-feed=\"/status/status.json\""))
        let refused = try await service.respond(to: request("/status", from: loopback)).get()
        #expect(refused.status == .unauthorized)
        #expect(refused.headers["WWW-Authenticate"].contains { $0.hasPrefix("Basic") })
    }

    @Test func thePageIsSelfContainedAndWritesNoMarkupFromTheFeed() {
        let html = StatusPage.html(feedPath: "/a\"><script>x</script>")
        #expect(html.contains("data-feed=\"/a&quot;&gt;&lt;script&gt;x&lt;/script&gt;\""))
        #expect(!html.contains("innerHTML"))
        #expect(!html.contains("outerHTML"))
        #expect(!html.contains("insertAdjacentHTML"))
        #expect(!html.contains("document.write"))
        #expect(!html.contains("eval("))
        // Nothing is loaded from elsewhere.
        #expect(!html.contains("src="))
        #expect(!html.contains("href="))
        #expect(!html.contains("@import"))
        #expect(!html.contains("url("))
        #expect(html.contains("setTimeout(poll, 1000)"))
    }
}
