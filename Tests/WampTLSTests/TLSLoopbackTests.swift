import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import WebSocketIO
import XCTest

@testable import WampTLS

/// Real loopback `wss://`: TLS handshake, WebSocket upgrade and one echoed message, with a
/// client that trusts the test CA, and refusal for one that does not.
final class TLSLoopbackTests: XCTestCase {
    private var group: MultiThreadedEventLoopGroup!
    private var pki: TestPKI!
    private var folder: TemporaryFolder!
    private var server: WebSocketServer!
    private let serverConnections = NIOLockedValueBox<[WebSocketConnection]>([])

    override func setUp() async throws {
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        self.pki = try TestPKI()
        self.folder = try TemporaryFolder()
        self.server = try await self.startServer(channelBinding: true)
    }

    private func startServer(channelBinding: Bool) async throws -> WebSocketServer {
        let credentials = try TLSServerCredentials.load(
            keyPath: try self.folder.write("server.key", self.pki.serverKeyPEM),
            certificatePath: try self.folder.write("server.crt", try self.pki.serverCertificatePEM)
        )
        var configuration = WebSocketServerConfiguration()
        configuration.port = 0
        configuration.transportSecurity = try TLSTransportSecurity.server(credentials, channelBinding: channelBinding)
        let connections = self.serverConnections
        return try await WebSocketServer.start(
            configuration: configuration, group: self.group, logger: Logger(label: "test")
        ) { connection in
            connections.withLockedValue { $0.append(connection) }
            return WebSocketEchoHandler()
        }
    }

    override func tearDown() async throws {
        try await self.server.shutdown()
        try await self.group.shutdownGracefully()
    }

    private func clientSecurity(trusting ca: String, version: TLSVersion) throws -> TLSTransportSecurity {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(ca.utf8)))
        tls.minimumTLSVersion = version
        tls.maximumTLSVersion = version
        return try TLSTransportSecurity.client(tls, serverHostname: "localhost")
    }

    private func echoOnce(version: TLSVersion) async throws -> (client: WebSocketConnection, server: WebSocketConnection) {
        let received = self.group.next().makePromise(of: String.self)
        let (port, group) = (self.server.port, self.group!)
        let security = try self.clientSecurity(trusting: try self.pki.caPEM, version: version)
        let client = try await withTimeout {
            try await WebSocketClient.connect(
                host: "127.0.0.1", port: port, subprotocols: [], transportSecurity: security,
                group: group, handler: FirstMessage(promise: received))
        }
        client.send(ByteBuffer(string: "hello over TLS"))
        let echoed = try await withTimeout { try await received.futureResult.get() }
        XCTAssertEqual(echoed, "hello over TLS")
        XCTAssertTrue(client.isSecure)
        let server = try XCTUnwrap(self.serverConnections.withLockedValue { $0.first })
        XCTAssertTrue(server.isSecure)
        return (client, server)
    }

    func testTLS12HandshakeUpgradeAndEcho() async throws {
        let (client, server) = try await self.echoOnce(version: .tlsv12)
        let binding = try await withTimeout { try await server.channelBinding(type: .tlsExporter).get() }
        XCTAssertNil(binding, "tls-exporter is offered on TLS 1.3 only")
        client.close(code: .normalClosure, reason: "")
    }

    func testTLS13HandshakeUpgradeEchoAndExporterBindingAgree() async throws {
        let (client, server) = try await self.echoOnce(version: .tlsv13)
        let serverBinding = try await withTimeout { try await server.channelBinding(type: .tlsExporter).get() }
        let clientBinding = try await withTimeout { try await client.channelBinding(type: .tlsExporter).get() }
        XCTAssertEqual(serverBinding?.count, 32)
        XCTAssertEqual(serverBinding, clientBinding, "both ends export the same keying material")
        client.close(code: .normalClosure, reason: "")
    }

    /// The router's listener: one shared context, no key-log callback, so no binding to answer;
    /// TLS 1.3 and the upgrade work the same.
    func testWithoutChannelBindingConnectionsShareOneContextAndAnswerNoBinding() async throws {
        try await self.server.shutdown()
        self.server = try await self.startServer(channelBinding: false)
        for _ in 0..<2 {
            self.serverConnections.withLockedValue { $0.removeAll() }
            let (client, server) = try await self.echoOnce(version: .tlsv13)
            let binding = try await withTimeout { try await server.channelBinding(type: .tlsExporter).get() }
            XCTAssertNil(binding, "no channel binding when it is off")
            client.close(code: .normalClosure, reason: "")
        }
    }

    func testTwoConnectionsHaveDifferentBindings() async throws {
        let first = try await self.echoOnce(version: .tlsv13)
        self.serverConnections.withLockedValue { $0.removeAll() }
        let second = try await self.echoOnce(version: .tlsv13)
        let a = try await withTimeout { try await first.client.channelBinding(type: .tlsExporter).get() }
        let b = try await withTimeout { try await second.client.channelBinding(type: .tlsExporter).get() }
        XCTAssertNotNil(a)
        XCTAssertNotEqual(a, b)
    }

    func testClientThatDoesNotTrustTheCAFails() async throws {
        let otherCA = try TestPKI(caName: "some other CA")
        let security = try self.clientSecurity(trusting: try otherCA.caPEM, version: .tlsv13)
        let promise = self.group.next().makePromise(of: String.self)
        let (port, group) = (self.server.port, self.group!)
        do {
            _ = try await withTimeout {
                try await WebSocketClient.connect(
                    host: "127.0.0.1", port: port, subprotocols: [], transportSecurity: security,
                    group: group, handler: FirstMessage(promise: promise))
            }
            XCTFail("connected to a server whose certificate it does not trust")
        } catch let error as NIOSSLError {
            guard case .handshakeFailed = error else { return XCTFail("\(error)") }
        } catch {
            XCTAssertFalse(error is TimeoutError, "must fail, not hang: \(error)")
        }
        promise.fail(TimeoutError())
        XCTAssertTrue(self.serverConnections.withLockedValue { $0.isEmpty }, "no WebSocket for a failed handshake")
    }

    func testPlainClientOnTLSListenerGetsNoWebSocket() async throws {
        let promise = self.group.next().makePromise(of: String.self)
        let (port, group) = (self.server.port, self.group!)
        do {
            _ = try await withTimeout {
                try await WebSocketClient.connect(
                    host: "127.0.0.1", port: port, subprotocols: [], group: group,
                    handler: FirstMessage(promise: promise))
            }
            XCTFail("plain ws upgraded on a TLS listener")
        } catch {
            XCTAssertFalse(error is TimeoutError, "must fail, not hang: \(error)")
        }
        promise.fail(TimeoutError())
        XCTAssertTrue(self.serverConnections.withLockedValue { $0.isEmpty })
    }
}

/// Completes `promise` with the first text message.
private final class FirstMessage: WebSocketMessageHandler, @unchecked Sendable {
    let promise: EventLoopPromise<String>
    init(promise: EventLoopPromise<String>) { self.promise = promise }
    func webSocketDidOpen(_ connection: WebSocketConnection) {}
    func webSocket(_ connection: WebSocketConnection, didReceive message: ByteBuffer, kind: WebSocketMessageKind) {
        self.promise.succeed(String(buffer: message))
    }
    func webSocketDidClose(_ connection: WebSocketConnection, reason: WebSocketCloseReason) {}
}

struct TimeoutError: Error {}

/// Runs `body`, failing with `TimeoutError` after 10 s, so a broken handshake cannot hang the suite.
func withTimeout<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: .seconds(10))
            throw TimeoutError()
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}
