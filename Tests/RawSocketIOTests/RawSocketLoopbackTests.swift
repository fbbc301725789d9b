import Foundation
import Logging
import NIOCore
import NIOPosix
import RawSocketIO
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// A `RawSocketServer` on loopback TCP and a Unix socket with `RawSocketClient`: the connection
/// limit's error 4, the socket file's life, messages both ways across threads.
final class RawSocketLoopbackTests: XCTestCase {
    private let group = MultiThreadedEventLoopGroup.singleton

    private final class Echo: RawSocketMessageHandler, @unchecked Sendable {
        func rawSocketDidOpen(_ connection: RawSocketConnection) {}
        func rawSocket(_ connection: RawSocketConnection, didReceive message: ByteBuffer) { connection.send(message) }
        func rawSocketDidClose(_ connection: RawSocketConnection, reason: String) {}
    }

    /// Collects messages; `closed` once the connection ends.
    private final class Collector: RawSocketMessageHandler, @unchecked Sendable {
        private let lock = NSLock()
        private var _messages: [ByteBuffer] = []
        private var _closed = false
        var messages: [ByteBuffer] { lock.withLock { _messages } }
        var closed: Bool { lock.withLock { _closed } }
        func rawSocketDidOpen(_ connection: RawSocketConnection) {}
        func rawSocket(_ connection: RawSocketConnection, didReceive message: ByteBuffer) { lock.withLock { _messages.append(message) } }
        func rawSocketDidClose(_ connection: RawSocketConnection, reason: String) { lock.withLock { _closed = true } }

        func wait(for count: Int, seconds: Double = 5) async throws {
            let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
            while messages.count < count, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        }
    }

    private func server(_ endpoint: RawSocketServerConfiguration.Endpoint, maxConnections: Int? = nil) async throws -> RawSocketServer {
        var configuration = RawSocketServerConfiguration()
        configuration.endpoint = endpoint
        configuration.maxConnections = maxConnections
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return try await RawSocketServer.start(configuration: configuration, group: group, logger: logger) { _ in Echo() }
    }

    private func socketPath() -> String {
        NSTemporaryDirectory() + "rs-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock"
    }

    func testManyMessagesFromAnotherThreadComeBackInOrder() async throws {
        let server = try await server(.tcp(host: "127.0.0.1", port: 0))
        let collector = Collector()
        let connection = try await RawSocketClient.connect(to: .tcp(host: "127.0.0.1", port: server.port!), serializer: 2,
                                                           group: group, handler: collector)
        XCTAssertEqual(connection.serializer, 2)
        XCTAssertFalse(connection.eventLoop.inEventLoop)
        for index in 0..<500 { connection.send(ByteBuffer(string: "message \(index)")) }
        try await collector.wait(for: 500)
        XCTAssertEqual(collector.messages.map { String(buffer: $0) }, (0..<500).map { "message \($0)" })
        connection.close(reason: "done")
        try await server.shutdown()
    }

    func testPastTheConnectionLimitTheHandshakeIsAnsweredError4AndASlotFreesOnClose() async throws {
        let server = try await server(.tcp(host: "127.0.0.1", port: 0), maxConnections: 1)
        let first = Collector()
        let connection = try await RawSocketClient.connect(to: .tcp(host: "127.0.0.1", port: server.port!), serializer: 1,
                                                           group: group, handler: first)
        let refusedBefore = RawSocketMetrics.connectionsRefused
        do {
            _ = try await RawSocketClient.connect(to: .tcp(host: "127.0.0.1", port: server.port!), serializer: 1,
                                                  group: group, handler: Collector())
            XCTFail("second connection admitted")
        } catch let error as RawSocketClientError {
            XCTAssertEqual(error, .refused(code: 4))
        }
        XCTAssertGreaterThanOrEqual(RawSocketMetrics.connectionsRefused - refusedBefore, 1)
        connection.close(reason: "make room")
        var admitted: RawSocketConnection?
        for _ in 0..<100 where admitted == nil {
            try await Task.sleep(for: .milliseconds(20))
            admitted = try? await RawSocketClient.connect(to: .tcp(host: "127.0.0.1", port: server.port!), serializer: 1,
                                                          group: group, handler: Collector())
        }
        XCTAssertNotNil(admitted, "the slot freed when the first closed")
        admitted?.close(reason: "done")
        try await server.shutdown()
    }

    func testUnixSocketReplacesAStaleSocketIsOwnerOnlyAndIsRemovedAtShutdown() async throws {
        let path = socketPath()
        // A stale socket: bound by a process that went away without removing it.
        let address = try SocketAddress(unixDomainSocketPath: path)
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        XCTAssertGreaterThanOrEqual(descriptor, 0)
        let bound = address.withSockAddr { bind(descriptor, $0, socklen_t($1)) }
        XCTAssertEqual(bound, 0)
        close(descriptor)
        XCTAssertTrue(FileManager.default.fileExists(atPath: path))

        let server = try await server(.unix(path: path))
        XCTAssertNil(server.port)
        let permissions = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber
        XCTAssertEqual(permissions?.intValue, 0o600)
        let collector = Collector()
        let connection = try await RawSocketClient.connect(to: .unix(path: path), serializer: 3, group: group, handler: collector)
        connection.send(ByteBuffer(string: "over unix"))
        try await collector.wait(for: 1)
        XCTAssertEqual(collector.messages.map { String(buffer: $0) }, ["over unix"])
        try await server.shutdown()
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
        connection.close(reason: "done")
    }

    func testARegularFileAtTheSocketPathIsLeftAloneAndTheStartFails() async throws {
        let path = socketPath()
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data("keep me".utf8)))
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            let server = try await server(.unix(path: path))
            try await server.shutdown()
            XCTFail("started over a regular file")
        } catch {}
        XCTAssertEqual(FileManager.default.contents(atPath: path), Data("keep me".utf8))
    }
}
