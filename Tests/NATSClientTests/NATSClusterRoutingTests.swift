import Foundation
import NIOCore
import NIOPosix
import XCTest

@testable import NATSClient
import NATSTestSupport

/// What the router's cluster relies on in a NATS *cluster* (docs/cluster.md, "The very next
/// request on any other node sees it"), checked on three real servers joined by routes.
final class NATSClusterRoutingTests: XCTestCase {
    private var cluster: NATSClusterProcesses!
    private var connections: [NATSConnection] = []

    override func setUpWithError() throws {
        cluster = try NATSClusterProcesses()
    }

    override func tearDown() async throws {
        for connection in connections { await connection.close() }
        connections = []
        cluster?.stopAll()
        cluster = nil
    }

    private func connect(_ urls: [String], name: String) async throws -> NATSConnection {
        var configuration = NATSConnectionConfiguration(servers: try urls.map { try NATSServerAddress($0) }, name: name)
        configuration.maxReconnectAttempts = 20
        let connection = NATSConnection(configuration: configuration, eventLoop: MultiThreadedEventLoopGroup.singleton.next())
        connections.append(connection)
        try await connection.connect()
        return connection
    }

    /// Node B subscribes on server 1 and then announces on server 1; node A, on server 2, takes
    /// the announcement as its cue and at once publishes to B's new subject. A server forwards a
    /// route's interest change before the messages that follow it on that route, so A's server
    /// knows B's interest by the time the announcement reaches A: the publication must arrive,
    /// every time. (A flush on B's own server alone would not say this about server 2.)
    func testInterestMadeBeforeAnAnnouncementIsKnownWhereTheAnnouncementArrives() async throws {
        let urls = cluster.urls
        let b = try await connect([urls[0]], name: "b")
        let a = try await connect([urls[1]], name: "a")
        let received = Collector<String>()
        let probes = Collector<Int>()
        try a.subscribe("ann") { message in
            let subject = String(buffer: message.payload)
            if subject == "probe" { return probes.append(1) }
            // The announcement names the subject; publish to it straight from the callback.
            try? a.publish(subject, payload: ByteBuffer(string: "hit"))
        }
        try await a.flush()
        // A's interest in the announcements must itself have crossed the route to server 1.
        for _ in 0..<400 where probes.count == 0 {
            try b.publish("ann", payload: ByteBuffer(string: "probe"))
            try await b.flush()
            try await Task.sleep(nanoseconds: 25_000_000)
        }
        XCTAssertGreaterThan(probes.count, 0, "routes between the servers within 10 s")
        let rounds = 200
        for round in 0..<rounds {
            let subject = "fresh.\(round)"
            try b.subscribe(subject) { _ in received.append(subject) }
            try b.publish("ann", payload: ByteBuffer(string: subject))
        }
        try await b.flush()
        await eventually("every publication made on the cue arrived", within: 10) { received.count == rounds }
        XCTAssertEqual(Set(received.values).count, rounds)
    }

    /// A connection given the cluster's servers fails over when its server dies, and its
    /// subscriptions work again through another server.
    func testFailsOverToAnotherServerOfTheCluster() async throws {
        let urls = cluster.urls
        let subscriber = try await connect(urls, name: "subscriber")
        let publisher = try await connect([urls[2]], name: "publisher")
        // The first deliveries wait for the routes; then the subscriber's server dies.
        let before = Collector<Int>()
        try subscriber.subscribe("before.failover") { _ in before.append(1) }
        try await subscriber.flush()
        for _ in 0..<400 where before.count == 0 {
            try publisher.publish("before.failover", payload: ByteBuffer())
            try await publisher.flush()
            try await Task.sleep(nanoseconds: 25_000_000)
        }
        XCTAssertGreaterThan(before.count, 0, "routes between the servers within 10 s")
        let received = Collector<String>()
        try subscriber.subscribe("after.failover") { received.append(String(buffer: $0.payload)) }
        try await subscriber.flush()
        cluster.servers[0].stop()
        // Whichever server it reached first, the subscriber must be served by a live one.
        var delivered = false
        for attempt in 0..<100 where !delivered {
            try publisher.publish("after.failover", payload: ByteBuffer(string: "\(attempt)"))
            try await publisher.flush()
            try await Task.sleep(nanoseconds: 50_000_000)
            delivered = received.count > 0
        }
        XCTAssertTrue(delivered, "deliveries resumed within 5 s of losing a server")
    }
}
