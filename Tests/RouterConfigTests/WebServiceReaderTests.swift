import XCTest
@testable import RouterConfig

/// A `web` transport's paths beside (or without) its websocket path: the HTTP bridge's
/// `publisher` and `caller`, and the admin `metrics`, `health` and `status`.
final class WebServiceReaderTests: XCTestCase {
    private let prefix = "workers[0].transports[0].paths"

    /// One web transport on port 8080 with these `paths` (JSON text of the dictionary).
    private func web(_ paths: String) -> String {
        nodeConfig(transports: "[{\"type\": \"web\", \"endpoint\": {\"type\": \"tcp\", \"port\": 8080}, \"paths\": \(paths)}]")
    }

    private func services(_ paths: String, file: StaticString = #filePath, line: UInt = #line) -> TransportSpec? {
        parsedFile(web(paths), file: file, line: line)?.transports.first
    }

    func testWebSocketPathBesideBridgeAndAdminPaths() {
        let spec = services("""
            {"ws": {"type": "websocket"},
             "publish": {"type": "publisher", "realm": "realm1", "role": "user"},
             "call": {"type": "caller", "realm": "realm1", "role": "anonymous",
                      "options": {"key": "k1", "secret": "s1", "post_body_limit": 4096, "timestamp_delta_limit": 10,
                                  "require_ip": ["127.0.0.0/8", "::1"], "require_tls": false, "call_timeout": 2500}},
             "metrics": {"type": "metrics"},
             "health": {"type": "health", "loopback_only": false},
             "/": {"type": "status", "token": "t0k", "basic": {"user": "admin", "password": "pw"}}}
            """)
        XCTAssertEqual(spec?.kind, .web(websocketPath: "/ws"))
        XCTAssertEqual(spec?.webServices.map(\.path), ["/publish", "/call", "/metrics", "/health", "/"])
        XCTAssertEqual(spec?.webServices.first?.kind, .publisher(HTTPBridgeOptions(realm: "realm1", role: "user")))
        XCTAssertEqual(spec?.webServices.first?.configPath, "\(prefix).publish")
        var caller = HTTPBridgeOptions(realm: "realm1", role: "anonymous", postBodyLimit: 4096,
                                       signing: .init(key: "k1", secret: "s1"), requireIP: ["127.0.0.0/8", "::1"],
                                       timestampDeltaLimit: 10, callTimeoutSeconds: 2.5)
        caller.requireTLS = false
        XCTAssertEqual(spec?.webServices[1].kind, .caller(caller))
        XCTAssertEqual(spec?.webServices[2].kind, .metrics(AdminAccess()))
        XCTAssertEqual(spec?.webServices[3].kind, .health(AdminAccess(loopbackOnly: false)))
        XCTAssertEqual(spec?.webServices[4].kind, .status(AdminAccess(token: "t0k", basicUser: "admin", basicPassword: "pw")))
    }

    func testWebTransportWithoutWebSocketPath() {
        let spec = services("{\"publish\": {\"type\": \"publisher\", \"realm\": \"realm1\", \"role\": \"user\"}}")
        XCTAssertEqual(spec?.kind, .web(websocketPath: nil))
        XCTAssertEqual(spec?.webServices.count, 1)
    }

    func testDefaults() {
        let options = HTTPBridgeOptions(realm: "r", role: "x")
        XCTAssertEqual(options.postBodyLimit, 1 << 20)
        XCTAssertEqual(options.timestampDeltaLimit, 300)
        XCTAssertEqual(options.callTimeoutSeconds, 30)
        XCTAssertNil(options.signing)
        XCTAssertFalse(options.requireTLS)
        XCTAssertTrue(AdminAccess().loopbackOnly)
    }

    func testSigningSecretFromTheEnvironment() {
        let paths = "{\"p\": {\"type\": \"publisher\", \"realm\": \"realm1\", \"role\": \"user\", \"options\": {\"key\": \"k\", \"secret\": \"${BRIDGE_SECRET}\"}}}"
        let spec = parsedFile(web(paths), environment: ["BRIDGE_SECRET": "s3cret"])?.transports.first
        XCTAssertEqual(spec?.webServices.first?.kind, .publisher(HTTPBridgeOptions(realm: "realm1", role: "user", signing: .init(key: "k", secret: "s3cret"))))
        assertProblem(web(paths), path: "\(prefix).p.options.secret", message: "environment variable BRIDGE_SECRET is not set")
    }

    func testTwoWebSocketPaths() {
        assertProblem(web("{\"a\": {\"type\": \"websocket\"}, \"b\": {\"type\": \"websocket\"}}"),
                      path: "\(prefix).b.type", message: "at most one websocket path, and 'a' is one already")
    }

    func testEmptyAndMissingPaths() {
        assertProblem(web("{}"), path: prefix, message: "empty: a web transport needs at least one path")
        assertProblem(nodeConfig(transports: "[{\"type\": \"web\", \"endpoint\": {\"type\": \"tcp\", \"port\": 8080}}]"),
                      path: prefix, message: "missing")
    }

    func testUnsupportedAndUnknownPathTypes() {
        let found = problems(web("{\"a\": {\"type\": \"wsgi\", \"module\": \"x\"}, \"b\": {\"type\": \"teleport\"}, \"c\": {}}"))
        XCTAssertEqual(found.map(\.path), ["\(prefix).a.type", "\(prefix).b.type", "\(prefix).c.type"])
        XCTAssertTrue(found[0].message.hasPrefix("not supported by this router"), found[0].message)
        XCTAssertTrue(found[1].message.hasPrefix("unknown path type"), found[1].message)
        XCTAssertEqual(found[2].message, "missing")
    }

    func testBadPathNameOfABridgePath() {
        assertProblem(web("{\"a/b\": {\"type\": \"publisher\", \"realm\": \"realm1\", \"role\": \"user\"}}"),
                      path: "\(prefix)[\"a/b\"]", message: "one segment of letters")
    }

    func testBridgeRealmAndRole() {
        let found = problems(web("""
            {"p1": {"type": "publisher"},
             "p2": {"type": "publisher", "realm": "nowhere", "role": "user"},
             "p3": {"type": "caller", "realm": "realm1", "role": "ghost"},
             "p4": {"type": "caller", "realm": 7, "role": "user", "color": "red"}}
            """))
        XCTAssertEqual(found.map(\.path), [
            "\(prefix).p1.realm", "\(prefix).p1.role",
            "\(prefix).p2.realm",
            "\(prefix).p3.role",
            "\(prefix).p4.realm", "\(prefix).p4.color",
        ])
        XCTAssertEqual(found[0].message, "missing")
        XCTAssertTrue(found[2].message.contains("unknown realm 'nowhere'"), found[2].message)
        XCTAssertTrue(found[3].message.contains("unknown role 'ghost' in realm 'realm1'"), found[3].message)
        XCTAssertTrue(found[4].message.contains("expected a string"), found[4].message)
        XCTAssertEqual(found[5].message, "unknown key")
    }

    func testBridgeOptionProblems() {
        let found = problems(web("""
            {"a": {"type": "caller", "realm": "realm1", "role": "user",
                   "options": {"key": "k", "post_body_limit": 0, "timestamp_delta_limit": "ten",
                               "require_ip": ["10.0.0.0/33", "localhost", 5], "require_tls": "yes", "call_timeout": 0,
                               "github_secret": "x", "ttl": 3}},
             "b": {"type": "publisher", "realm": "realm1", "role": "user",
                   "options": {"secret": "s", "require_ip": [], "call_timeout": 100}},
             "c": {"type": "publisher", "realm": "realm1", "role": "user", "options": {"key": "", "secret": ""}}}
            """))
        let options = { (path: String) in "\(self.prefix).\(path).options" }
        XCTAssertEqual(found.count, 13, found.map(\.description).joined(separator: "\n"))
        XCTAssertEqual(Set(found.map(\.path)), [
            "\(options("a")).secret",
            "\(options("a")).post_body_limit",
            "\(options("a")).timestamp_delta_limit",
            "\(options("a")).require_ip[2]",
            "\(options("a")).require_tls",
            "\(options("a")).call_timeout",
            "\(options("a")).github_secret",
            "\(options("a")).ttl",
            "\(options("b")).key",
            "\(options("b")).require_ip",
            "\(options("b")).call_timeout",
            "\(options("c")).key",
            "\(options("c")).secret",
        ])
        XCTAssertTrue(found.contains { $0.path == "\(options("a")).secret" && $0.message.contains("need both key and secret") })
        XCTAssertTrue(found.contains { $0.path == "\(options("a")).post_body_limit" && $0.message.contains("must be 1...67108864") })
        XCTAssertTrue(found.contains { $0.path == "\(options("a")).call_timeout" && $0.message.contains("must be 1...3600000") })
        XCTAssertTrue(found.contains { $0.path == "\(options("a")).github_secret" && $0.message.hasPrefix("not supported") })
        XCTAssertTrue(found.contains { $0.path == "\(options("b")).call_timeout" && $0.message == "unknown key" })
        XCTAssertTrue(found.contains { $0.path == "\(options("b")).require_ip" && $0.message.hasPrefix("empty") })
        XCTAssertTrue(found.contains { $0.path == "\(options("c")).key" && $0.message.hasPrefix("empty") })
    }

    func testReplayMemoryAndAdminBodyLimitsAreOptionsWithDefaults() {
        XCTAssertEqual(HTTPBridgeOptions(realm: "r", role: "x").replayMemoryLimit, 65_536)
        XCTAssertEqual(AdminAccess().postBodyLimit, 4096)
        let spec = services("""
            {"p": {"type": "publisher", "realm": "realm1", "role": "user",
                   "options": {"key": "k", "secret": "s", "replay_memory_limit": 100}},
             "m": {"type": "metrics", "post_body_limit": 64}}
            """)
        guard case .publisher(let options)? = spec?.webServices.first?.kind else { return XCTFail("no publisher path") }
        XCTAssertEqual(options.replayMemoryLimit, 100)
        XCTAssertEqual(spec?.webServices.last?.kind, .metrics(AdminAccess(postBodyLimit: 64)))
        let found = problems(web("""
            {"p": {"type": "publisher", "realm": "realm1", "role": "user", "options": {"replay_memory_limit": 0}},
             "m": {"type": "metrics", "post_body_limit": 2000000}}
            """))
        XCTAssertEqual(found.map(\.path), ["\(prefix).p.options.replay_memory_limit", "\(prefix).m.post_body_limit"])
        XCTAssertTrue(found[0].message.contains("must be 1...16777216"), found[0].message)
        XCTAssertTrue(found[1].message.contains("must be 1...1048576"), found[1].message)
    }

    func testRequireIPEntriesAreCheckedOneByOne() {
        let found = problems(web("""
            {"a": {"type": "caller", "realm": "realm1", "role": "user", "options": {"require_ip": ["10.0.0.0/33", "localhost", "::1/129", "192.168.1.0/24"]}}}
            """))
        XCTAssertEqual(found.map(\.path), [0, 1, 2].map { "\(prefix).a.options.require_ip[\($0)]" })
        XCTAssertTrue(found[0].message.contains("CIDR"), found[0].message)
    }

    func testAdminPathProblems() {
        let found = problems(web("""
            {"m": {"type": "metrics", "token": "", "loopback_only": "no"},
             "h": {"type": "health", "basic": {"user": "a:b"}},
             "s": {"type": "status", "basic": {"user": "u", "password": "", "realm": "x"}, "realm": "realm1"}}
            """))
        XCTAssertEqual(found.map(\.path), [
            "\(prefix).m.token", "\(prefix).m.loopback_only",
            "\(prefix).h.basic.password", "\(prefix).h.basic.user",
            "\(prefix).s.basic.password", "\(prefix).s.basic.realm", "\(prefix).s.realm",
        ])
    }

    func testChangedBridgePathsNeedARestart() throws {
        let before = try XCTUnwrap(parsedFile(web("{\"p\": {\"type\": \"publisher\", \"realm\": \"realm1\", \"role\": \"user\"}}")))
        let after = try XCTUnwrap(parsedFile(web("{\"p\": {\"type\": \"publisher\", \"realm\": \"realm1\", \"role\": \"anonymous\"}}")))
        XCTAssertEqual(before.restartNeeded(toApply: after), ["workers[0].transports[0]: HTTP bridge or admin paths changed; applied after a restart"])
        XCTAssertEqual(before.restartNeeded(toApply: before), [])
    }
}
