import XCTest
@testable import RouterConfig

/// Transports, endpoints, serializers and WebSocket options.
final class TransportReaderTests: XCTestCase {
    private func transport(_ json: String, environment: [String: String] = [:], file: StaticString = #filePath,
                           line: UInt = #line) -> TransportSpec? {
        parsedFile(nodeConfig(transports: "[\(json)]"), environment: environment, file: file, line: line)?.transports.first
    }

    func testInterfaceDefaultsToAllInterfacesOfTheIPVersion() {
        XCTAssertEqual(transport("{\"type\": \"websocket\", \"endpoint\": {\"type\": \"tcp\", \"port\": 8080}}")?.endpoint,
                       TCPEndpoint(port: 8080, interface: "0.0.0.0", ipVersion: 4))
        XCTAssertEqual(transport("{\"type\": \"websocket\", \"endpoint\": {\"type\": \"tcp\", \"port\": 8080, \"version\": 6, \"backlog\": 1024}}")?.endpoint,
                       TCPEndpoint(port: 8080, interface: "::", ipVersion: 6, backlog: 1024))
    }

    func testPortRangeAndType() {
        for port in ["0", "65536", "-1"] {
            assertProblem(nodeConfig(transports: "[{\"type\": \"websocket\", \"endpoint\": {\"type\": \"tcp\", \"port\": \(port)}}]"),
                          path: "workers[0].transports[0].endpoint.port", message: "must be 1...65535, got \(port)")
        }
        assertProblem(nodeConfig(transports: "[{\"type\": \"websocket\", \"endpoint\": {\"type\": \"tcp\", \"port\": \"8080\"}}]"),
                      path: "workers[0].transports[0].endpoint.port", message: "expected an integer 1...65535 (or $NAME of an environment variable), got a string")
        assertProblem(nodeConfig(transports: "[{\"type\": \"websocket\", \"endpoint\": {\"type\": \"tcp\", \"port\": 80.5}}]"),
                      path: "workers[0].transports[0].endpoint.port", message: "expected an integer, got a non-integer number")
        assertProblem(nodeConfig(transports: "[{\"type\": \"websocket\", \"endpoint\": {\"type\": \"tcp\"}}]"),
                      path: "workers[0].transports[0].endpoint.port", message: "missing")
    }

    func testPortFromTheEnvironment() {
        let json = "{\"type\": \"websocket\", \"endpoint\": {\"type\": \"tcp\", \"port\": \"$PORT\"}}"
        XCTAssertEqual(transport(json, environment: ["PORT": "9001"])?.endpoint.port, 9001)
        assertProblem(nodeConfig(transports: "[\(json)]"), path: "workers[0].transports[0].endpoint.port",
                      message: "environment variable PORT is not set")
    }

    func testDuplicatePortAcrossTransports() {
        let transports = """
            [{"type": "websocket", "endpoint": {"type": "tcp", "port": 8080}},
             {"type": "websocket", "endpoint": {"type": "tcp", "port": 8081, "interface": "127.0.0.1"}},
             {"type": "websocket", "endpoint": {"type": "tcp", "port": 8081, "interface": "10.0.0.1"}},
             {"type": "web", "endpoint": {"type": "tcp", "port": 8080, "interface": "127.0.0.1"}, "paths": {"/": {"type": "websocket"}}}]
            """
        let found = problems(nodeConfig(transports: transports))
        XCTAssertEqual(found.map(\.description), ["workers[0].transports[3].endpoint.port: port 8080 is already used by workers[0].transports[0]"])
    }

    func testEndpointKeys() {
        let found = problems(nodeConfig(transports: """
            [{"type": "websocket", "endpoint": {"type": "tcp", "port": 8080, "shared": true, "portrange": [1, 2], "colour": 1}},
             {"type": "websocket", "endpoint": {"type": "unix", "path": "/tmp/s"}},
             {"type": "websocket", "endpoint": {"type": "tcp", "port": 8082, "version": 5}}]
            """))
        XCTAssertEqual(found.map(\.path), [
            "workers[0].transports[0].endpoint.shared",
            "workers[0].transports[0].endpoint.portrange",
            "workers[0].transports[0].endpoint.colour",
            "workers[0].transports[1].endpoint.type",
            "workers[0].transports[2].endpoint.version",
        ])
        XCTAssertEqual(found[2].message, "unknown key")
        XCTAssertTrue(found[3].message.hasPrefix("not supported by this router: only tcp endpoints"))
    }

    func testTLSKeysAndChain() throws {
        let folder = try ScratchFolder()
        defer { folder.remove() }
        let text = nodeConfig(transports: """
            [{"type": "websocket", "endpoint": {"type": "tcp", "port": 443, "tls": {
                "key": "tls/server.key", "certificate": "tls/server.crt", "chain_certificates": ["tls/chain.crt"]}}}]
            """)
        let tls = parsedFile(text, directory: folder.path)?.transports[0].endpoint.tls
        XCTAssertEqual(tls?.chainCertificates, [folder.path + "/tls/chain.crt"])
        XCTAssertEqual(tls?.caCertificates, [])

        let found = problems(nodeConfig(transports: """
            [{"type": "websocket", "endpoint": {"type": "tcp", "port": 443, "tls": {
                "key": "tls/server.key", "ciphers": "ALL", "dhparam": "dh.pem", "chain_certificates": ["tls", 3]}}}]
            """), directory: folder.path)
        XCTAssertEqual(found.map(\.path), [
            "workers[0].transports[0].endpoint.tls.certificate",
            "workers[0].transports[0].endpoint.tls.chain_certificates[1]",
            "workers[0].transports[0].endpoint.tls.ciphers",
            "workers[0].transports[0].endpoint.tls.dhparam",
        ])
    }

    func testTLSPathThatIsADirectory() throws {
        let folder = try ScratchFolder()
        defer { folder.remove() }
        assertProblem(nodeConfig(transports: """
            [{"type": "websocket", "endpoint": {"type": "tcp", "port": 443, "tls": {"key": "tls", "certificate": "tls/server.crt"}}}]
            """), path: "workers[0].transports[0].endpoint.tls.key", message: "is a directory", directory: folder.path)
    }

    func testSerializers() {
        XCTAssertEqual(transport("{\"type\": \"websocket\", \"endpoint\": {\"type\": \"tcp\", \"port\": 1}}")?.serializers, [.json, .msgpack, .cbor])
        let found = problems(nodeConfig(transports: """
            [{"type": "websocket", "endpoint": {"type": "tcp", "port": 8080}, "serializers": ["cbor", "ubjson", "json", "xml"]},
             {"type": "websocket", "endpoint": {"type": "tcp", "port": 8081}, "serializers": []}]
            """))
        XCTAssertEqual(found.map(\.description), [
            "workers[0].transports[0].serializers[1]: not supported: 'ubjson' (this router speaks json, msgpack, cbor)",
            "workers[0].transports[0].serializers[3]: unknown serializer 'xml'",
            "workers[0].transports[1].serializers: empty: a transport needs at least one serializer",
        ])
    }

    func testOtherTransportTypes() {
        let found = problems(nodeConfig(transports: """
            [{"type": "universal", "endpoint": {"type": "tcp", "port": 8080}}, {"type": "mqtt"}, {"type": "carrier-pigeon"}, {"endpoint": {}}]
            """))
        XCTAssertEqual(found.map(\.path), [
            "workers[0].transports[0].type", "workers[0].transports[1].type", "workers[0].transports[2].type",
            "workers[0].transports[3].type",
        ])
        XCTAssertTrue(found[0].message.contains("universal"))
        XCTAssertTrue(found[2].message.hasPrefix("unknown transport type"))
        XCTAssertEqual(found[3].message, "missing")
    }

    func testWebTransportWithOneWebSocketPath() {
        let root = transport("{\"type\": \"web\", \"endpoint\": {\"type\": \"tcp\", \"port\": 8080}, \"paths\": {\"/\": {\"type\": \"websocket\"}}}")
        XCTAssertEqual(root?.kind, .web(websocketPath: "/"))
        XCTAssertEqual(root?.auth, .anonymousOnly)
    }

    func testWebTransportWithOtherPathTypesIsRefused() {
        let found = problems(nodeConfig(transports: """
            [{"type": "web", "endpoint": {"type": "tcp", "port": 8080},
              "paths": {"/": {"type": "static", "directory": "../web"}, "ws": {"type": "websocket"}, "info": {"type": "nodeinfo"}}}]
            """))
        XCTAssertEqual(found.map(\.path), [
            "workers[0].transports[0].paths[\"/\"].type",
            "workers[0].transports[0].paths.info.type",
        ])
        XCTAssertTrue(found[0].message.hasPrefix("not supported by this router"), found[0].message)
        XCTAssertTrue(found[0].message.contains("'static'"), found[0].message)
    }

    func testWebTransportKeys() {
        let found = problems(nodeConfig(transports: """
            [{"type": "web", "endpoint": {"type": "tcp", "port": 8080}, "options": {"hsts": true},
              "paths": {"a/b": {"type": "websocket", "cookie": {}}}}]
            """))
        XCTAssertEqual(found.map(\.path), [
            "workers[0].transports[0].options.hsts",
            "workers[0].transports[0].paths[\"a/b\"]",
            "workers[0].transports[0].paths[\"a/b\"].cookie",
        ])
    }

    func testMappedWebSocketOptions() {
        let options = transport("""
            {"type": "websocket", "endpoint": {"type": "tcp", "port": 8080}, "options": {
              "max_message_size": 65536, "auto_ping_interval": 0, "auto_ping_timeout": 3000, "open_handshake_timeout": 1500,
              "compression": {}, "allowed_origins": ["*"], "allow_null_origin": false, "require_websocket_subprotocol": true}}
            """)?.options
        XCTAssertEqual(options, WebSocketOptions(
            maxMessageSize: 65536, autoPingInterval: .zero, autoPingTimeout: .seconds(3), openHandshakeTimeout: .milliseconds(1500),
            permessageDeflate: false, allowedOrigins: ["*"], allowNullOrigin: false, requireSubprotocol: true))
    }

    func testWebSocketOptionProblems() {
        let found = problems(nodeConfig(transports: ConfigSamples.transport(options: """
            {"max_message_size": 67108865, "auto_ping_interval": 500, "auto_ping_timeout": "5000", "enable_rfc6455": false,
             "flash_policy": "x", "compression": {"gzip": {}}, "allowed_origins": "*", "colour": "blue"}
            """)))
        XCTAssertEqual(found.map(\.description), [
            "workers[0].transports[0].options.max_message_size: must be 1...67108864 bytes, got 67108865",
            "workers[0].transports[0].options.auto_ping_interval: is in milliseconds; 500 is too small (Crossbar's rule: 0 or at least 1000)",
            "workers[0].transports[0].options.auto_ping_timeout: expected an integer (milliseconds), got a string",
            "workers[0].transports[0].options.compression.gzip: unknown key",
            "workers[0].transports[0].options.allowed_origins: expected a list, got a string",
            "workers[0].transports[0].options.enable_rfc6455: not supported by this router: it speaks RFC 6455 WebSocket only",
            "workers[0].transports[0].options.flash_policy: not supported by this router: Flash socket policy files",
            "workers[0].transports[0].options.colour: unknown key",
        ])
    }

    func testCrossbarTemplateOptionsAreAcceptedWithNotices() {
        let config = parsedFile(nodeConfig(transports: ConfigSamples.transport(options: """
            {"allowed_origins": ["*"], "allow_null_origin": true, "enable_webstatus": false, "max_frame_size": 1048576,
             "max_message_size": 1048576, "auto_fragment_size": 65536, "fail_by_drop": true, "open_handshake_timeout": 2500,
             "close_handshake_timeout": 1000, "auto_ping_interval": 10000, "auto_ping_timeout": 5000, "auto_ping_size": 12,
             "compression": {"deflate": {"request_no_context_takeover": false, "request_max_window_bits": 13,
                                         "no_context_takeover": false, "max_window_bits": 13, "memory_level": 5}}}
            """)))
        XCTAssertEqual(config?.transports[0].options.permessageDeflate, true)
        XCTAssertEqual(config?.transports[0].options.maxMessageSize, 1_048_576)
        XCTAssertEqual(config?.notices.map(\.path), [
            "workers[0].transports[0].options.compression.deflate",
            "workers[0].transports[0].options.fail_by_drop",
            "workers[0].transports[0].options.auto_fragment_size",
            "workers[0].transports[0].options.auto_ping_size",
            "workers[0].transports[0].options.close_handshake_timeout",
        ])
    }

    func testZeroTimeoutsAreNotApplied() {
        let config = parsedFile(nodeConfig(transports: ConfigSamples.transport(options: "{\"open_handshake_timeout\": 0, \"auto_ping_timeout\": 0}")))
        XCTAssertNil(config?.transports[0].options.openHandshakeTimeout)
        XCTAssertNil(config?.transports[0].options.autoPingTimeout)
        XCTAssertEqual(config?.notices.count, 2)
    }

    func testWebSocketTransportKeys() {
        let found = problems(nodeConfig(transports: """
            [{"type": "websocket", "endpoint": {"type": "tcp", "port": 8080}, "cookie": {}, "url": "ws://x", "paths": {}}]
            """))
        XCTAssertEqual(found.map(\.path), [
            "workers[0].transports[0].cookie", "workers[0].transports[0].url", "workers[0].transports[0].paths",
        ])
        XCTAssertEqual(found[2].message, "unknown key")
    }
}
