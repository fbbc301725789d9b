import NIOCore
import NIOEmbedded
import NIOHTTP1
import Synchronization
import XCTest

@testable import WebSocketIO

/// A service on `/svc` (and on `/json` with its own 413 answer) that answers with what it got.
private final class RecordingService: HTTPService {
    let limit: Int
    let paths: Set<String>
    private let received = Mutex<[HTTPServiceRequest]>([])

    init(paths: Set<String> = ["/svc"], limit: Int = 16) {
        self.paths = paths
        self.limit = limit
    }

    var requests: [HTTPServiceRequest] { received.withLock { $0 } }

    func handles(path: String) -> Bool { paths.contains(path) }

    func maxBodyBytes(for head: HTTPRequestHead, path: String) -> Int { limit }

    func respond(to request: HTTPServiceRequest) -> EventLoopFuture<HTTPServiceResponse> {
        received.withLock { $0.append(request) }
        let body = "\(request.head.method.rawValue) \(request.path) [\(String(buffer: request.body))]"
        return request.eventLoop!.makeSucceededFuture(HTTPServiceResponse(status: .accepted, contentType: "text/plain", body: body))
    }
}

/// The same, but with a JSON 413 answer of its own.
private struct JSONRefusingService: HTTPService {
    func handles(path: String) -> Bool { path == "/json" }
    func maxBodyBytes(for head: HTTPRequestHead, path: String) -> Int { 4 }
    func respond(to request: HTTPServiceRequest) -> EventLoopFuture<HTTPServiceResponse> {
        request.eventLoop!.makeSucceededFuture(HTTPServiceResponse(status: .ok))
    }
    func bodyTooLargeResponse(for head: HTTPRequestHead, path: String, limit: Int) -> HTTPServiceResponse {
        HTTPServiceResponse(status: .payloadTooLarge, contentType: "application/json", body: "{\"limit\":\(limit)}")
    }
}

final class HTTPServiceHookTests: XCTestCase {
    private func server(_ service: any HTTPService, webSocketPath: String? = "/ws", acceptsUpgrades: Bool = true) throws -> EmbeddedServer {
        var configuration = WebSocketServerConfiguration()
        configuration.httpService = service
        configuration.webSocketPath = webSocketPath
        configuration.acceptsWebSocket = acceptsUpgrades
        configuration.httpPage = "page"
        return try EmbeddedServer(configuration: configuration)
    }

    private func post(_ path: String, body: String, contentLength: Int? = nil) -> String {
        "POST \(path) HTTP/1.1\r\nHost: localhost\r\nContent-Length: \(contentLength ?? body.utf8.count)\r\n\r\n\(body)"
    }

    func testServicePathGetsItsWholeBodyAndQuery() throws {
        let service = RecordingService()
        let server = try self.server(service)
        try server.writeString("POST /svc?x=1 HTTP/1.1\r\nHost: localhost\r\nContent-Length: 11\r\n\r\nhello")
        try server.writeString(" world")
        let response = try server.readString()
        XCTAssertTrue(response.hasPrefix("HTTP/1.1 202 Accepted"), response)
        XCTAssertTrue(response.hasSuffix("POST /svc [hello world]"), response)
        XCTAssertTrue(response.lowercased().contains("connection: close"), response)
        XCTAssertEqual(service.requests.first?.head.uri, "/svc?x=1")
        XCTAssertEqual(service.requests.first?.remoteAddress?.ipAddress, "127.0.0.1")
        XCTAssertEqual(service.requests.first?.isSecure, false)
        XCTAssertFalse(server.channel.isActive)
    }

    func testChunkedBodyReachesTheService() throws {
        let service = RecordingService()
        let server = try self.server(service)
        try server.writeString("POST /svc HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n")
        XCTAssertTrue(try server.readString().hasSuffix("POST /svc [abcde]"))
    }

    func testDeclaredContentLengthOverTheLimitIs413WithoutReachingTheService() throws {
        let service = RecordingService(limit: 16)
        let server = try self.server(service)
        try server.writeString(post("/svc", body: String(repeating: "x", count: 17)))
        let response = try server.readString()
        XCTAssertTrue(response.hasPrefix("HTTP/1.1 413"), response)
        XCTAssertTrue(response.contains("request body over 16 bytes"), response)
        XCTAssertTrue(service.requests.isEmpty)
        XCTAssertFalse(server.channel.isActive)
    }

    func testBodyAtTheLimitIsAccepted() throws {
        let service = RecordingService(limit: 16)
        let server = try self.server(service)
        try server.writeString(post("/svc", body: String(repeating: "y", count: 16)))
        XCTAssertTrue(try server.readString().hasPrefix("HTTP/1.1 202"))
        XCTAssertEqual(service.requests.count, 1)
    }

    func testStreamedBodyOverTheLimitIs413() throws {
        let service = RecordingService(limit: 16)
        let server = try self.server(service)
        try server.writeString("POST /svc HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n")
        for _ in 0..<5 { try server.writeString("5\r\n12345\r\n") }
        try server.writeString("0\r\n\r\n")
        let response = try server.readString()
        XCTAssertTrue(response.hasPrefix("HTTP/1.1 413"), response)
        XCTAssertTrue(service.requests.isEmpty)
    }

    func testServiceGivesItsOwn413Answer() throws {
        let server = try self.server(HTTPServiceRouter([RecordingService(), JSONRefusingService()]))
        try server.writeString(post("/json", body: "12345"))
        let response = try server.readString()
        XCTAssertTrue(response.hasPrefix("HTTP/1.1 413"), response)
        XCTAssertTrue(response.hasSuffix("{\"limit\":4}"), response)
    }

    func testOtherPathsAre404AndRootStillServesThePage() throws {
        let service = RecordingService()
        let other = try self.server(service)
        try other.writeString("GET /elsewhere HTTP/1.1\r\nHost: localhost\r\n\r\n")
        XCTAssertTrue(try other.readString().hasPrefix("HTTP/1.1 404"))
        // A POST off the service's paths is the listener's own, as before: 405.
        let posted = try self.server(service)
        try posted.writeString(post("/elsewhere", body: "x"))
        XCTAssertTrue(try posted.readString().hasPrefix("HTTP/1.1 405"))
        let root = try self.server(service)
        try root.writeString("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        XCTAssertTrue(try root.readString().hasSuffix("page"))
        XCTAssertTrue(service.requests.isEmpty)
    }

    func testUpgradeStillWorksOnTheWebSocketPath() throws {
        let server = try self.server(RecordingService(paths: ["/svc", "/ws"]))
        // An upgrade request is never the service's, even on a path it handles.
        try server.writeString(EmbeddedServer.upgradeRequest(path: "/ws"))
        XCTAssertTrue(try server.readString().hasPrefix("HTTP/1.1 101"))
        XCTAssertEqual(server.recorder.opened, 1)
    }

    func testNoUpgradesWhenTheListenerHasNoWebSocketPath() throws {
        let server = try self.server(RecordingService(), webSocketPath: nil, acceptsUpgrades: false)
        try server.writeString(EmbeddedServer.upgradeRequest(path: "/"))
        let response = try server.readString()
        XCTAssertTrue(response.hasPrefix("HTTP/1.1 404"), response)
        XCTAssertTrue(response.contains("accepts no WebSocket upgrades"), response)
        XCTAssertEqual(server.recorder.opened, 0)
    }

    func testRouterDispatchesByPathInOrder() throws {
        let first = RecordingService(paths: ["/a"])
        let second = RecordingService(paths: ["/a", "/b"])
        let router = HTTPServiceRouter([first, second])
        XCTAssertTrue(router.handles(path: "/b"))
        XCTAssertFalse(router.handles(path: "/c"))
        let server = try self.server(router)
        try server.writeString(post("/a", body: "1"))
        _ = try server.readString()
        let again = try self.server(router)
        try again.writeString(post("/b", body: "2"))
        _ = try again.readString()
        XCTAssertEqual(first.requests.map(\.path), ["/a"])
        XCTAssertEqual(second.requests.map(\.path), ["/b"])
        XCTAssertNil(HTTPServiceRouter.combining([]))
    }
}
