import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import XCTest

@testable import NATSClient
import NATSTestSupport

/// Collects what callbacks deliver, from any thread.
final class Collector<Value: Sendable>: Sendable {
    private let box = NIOLockedValueBox<[Value]>([])
    func append(_ value: Value) { box.withLockedValue { $0.append(value) } }
    var values: [Value] { box.withLockedValue { $0 } }
    var count: Int { values.count }
}

/// Polls `condition` every 10 ms for at most `seconds`; fails the test when it never holds.
func eventually(
    _ what: String, within seconds: Double = 5, file: StaticString = #filePath, line: UInt = #line,
    _ condition: () -> Bool
) async {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return }
        try? await Task.sleep(nanoseconds: 10_000_000)
    }
    XCTFail("not within \(seconds) s: \(what)", file: file, line: line)
}

/// A base for tests against a real server: one server and one connected client per test.
class NATSServerTestCase: XCTestCase {
    var server: NATSServerProcess!
    var connections: [NATSConnection] = []

    override func setUpWithError() throws {
        server = try NATSServerProcess()
    }

    override func tearDown() async throws {
        for connection in connections { await connection.close() }
        connections = []
        server?.stop()
        server?.removeStore()
        server = nil
    }

    func makeConnection(
        name: String = "test", configure: (inout NATSConnectionConfiguration) -> Void = { _ in },
        onEvent: (@Sendable (NATSConnectionEvent) -> Void)? = nil
    ) async throws -> NATSConnection {
        var configuration = NATSConnectionConfiguration(servers: [try NATSServerAddress(server.url)], name: name)
        configuration.maxReconnectAttempts = 3
        configure(&configuration)
        let connection = NATSConnection(
            configuration: configuration, eventLoop: MultiThreadedEventLoopGroup.singleton.next(), onEvent: onEvent)
        connections.append(connection)
        try await connection.connect()
        return connection
    }
}
