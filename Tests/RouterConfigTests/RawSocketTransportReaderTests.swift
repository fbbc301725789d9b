import WampMessages
import XCTest
@testable import RouterConfig

/// Crossbar's `rawsocket` transport: TCP (with TLS) and Unix endpoints, serializers,
/// `max_message_size`, and problems by key path.
final class RawSocketTransportReaderTests: XCTestCase {
    private func transport(_ json: String, file: StaticString = #filePath, line: UInt = #line) -> TransportSpec? {
        parsedFile(nodeConfig(transports: "[\(json)]"), directory: "/etc/router", file: file, line: line)?.transports.first
    }

    func testTCPEndpointWithSerializersAndMaxMessageSize() {
        let spec = transport("""
            {"type": "rawsocket", "endpoint": {"type": "tcp", "port": 8081, "interface": "127.0.0.1"},
             "serializers": ["msgpack", "json"], "max_message_size": 1048576}
            """)
        XCTAssertEqual(spec?.kind, .rawsocket(unixPath: nil))
        XCTAssertEqual(spec?.endpoint, TCPEndpoint(port: 8081, interface: "127.0.0.1"))
        XCTAssertEqual(spec?.serializers, [.msgpack, .json])
        XCTAssertEqual(spec?.options.maxMessageSize, 1 << 20)
        XCTAssertEqual(spec?.auth, .anonymousOnly)
    }

    func testUnixEndpointResolvesAgainstTheConfigFolder() {
        XCTAssertEqual(transport(#"{"type": "rawsocket", "endpoint": {"type": "unix", "path": "/run/router.sock"}}"#)?.kind,
                       .rawsocket(unixPath: "/run/router.sock"))
        XCTAssertEqual(transport(#"{"type": "rawsocket", "endpoint": {"type": "unix", "path": "router.sock"}}"#)?.kind,
                       .rawsocket(unixPath: "/etc/router/router.sock"))
        let spec = transport(#"{"type": "rawsocket", "endpoint": {"type": "unix", "path": "/run/r.sock"}}"#)
        XCTAssertEqual(spec?.serializers, WampSerialization.allCases, "all three by default, as Crossbar")
    }

    func testProblemsByKeyPath() {
        assertProblem(nodeConfig(transports: #"[{"type": "rawsocket", "endpoint": {"type": "unix"}}]"#),
                      path: "workers[0].transports[0].endpoint.path", message: "missing")
        assertProblem(nodeConfig(transports: #"[{"type": "rawsocket", "endpoint": {"type": "unix", "path": ""}}]"#),
                      path: "workers[0].transports[0].endpoint.path", message: "empty")
        let long = String(repeating: "a", count: 120)
        assertProblem(nodeConfig(transports: #"[{"type": "rawsocket", "endpoint": {"type": "unix", "path": "/\#(long)"}}]"#),
                      path: "workers[0].transports[0].endpoint.path", message: "too long for a Unix socket")
        assertProblem(nodeConfig(transports: #"[{"type": "rawsocket", "endpoint": {"type": "unix", "path": "/s", "mode": 1}}]"#),
                      path: "workers[0].transports[0].endpoint.mode", message: "unknown key")
        assertProblem(nodeConfig(transports: #"[{"type": "rawsocket", "endpoint": {"type": "tcp"}}]"#),
                      path: "workers[0].transports[0].endpoint.port", message: "missing")
        assertProblem(nodeConfig(transports: #"[{"type": "rawsocket"}]"#),
                      path: "workers[0].transports[0].endpoint", message: "missing")
        assertProblem(nodeConfig(transports: #"[{"type": "rawsocket", "endpoint": {"type": "tcp", "port": 8081}, "serializers": ["ubjson"]}]"#),
                      path: "workers[0].transports[0].serializers[0]", message: "not supported: 'ubjson'")
        assertProblem(nodeConfig(transports: #"[{"type": "rawsocket", "endpoint": {"type": "tcp", "port": 8081}, "max_message_size": 100}]"#),
                      path: "workers[0].transports[0].max_message_size", message: "512")
        assertProblem(nodeConfig(transports: #"[{"type": "rawsocket", "endpoint": {"type": "tcp", "port": 8081}, "paths": {}}]"#),
                      path: "workers[0].transports[0].paths", message: "unknown key")
    }

    func testPortAndSocketClashes() {
        assertProblem(nodeConfig(transports: """
            [{"type": "websocket", "endpoint": {"type": "tcp", "port": 8080}},
             {"type": "rawsocket", "endpoint": {"type": "tcp", "port": 8080}}]
            """), path: "workers[0].transports[1].endpoint.port", message: "already used by workers[0].transports[0]")
        assertProblem(nodeConfig(transports: """
            [{"type": "rawsocket", "endpoint": {"type": "unix", "path": "/run/a.sock"}},
             {"type": "rawsocket", "endpoint": {"type": "unix", "path": "/run/a.sock"}}]
            """), path: "workers[0].transports[1].endpoint.path", message: "already used by workers[0].transports[0]")
        let two = parsedFile(nodeConfig(transports: """
            [{"type": "rawsocket", "endpoint": {"type": "unix", "path": "/run/a.sock"}},
             {"type": "rawsocket", "endpoint": {"type": "unix", "path": "/run/b.sock"}},
             {"type": "websocket", "endpoint": {"type": "tcp", "port": 8080}}]
            """))
        XCTAssertEqual(two?.transports.count, 3, "Unix sockets have no port to clash on")
    }
}
