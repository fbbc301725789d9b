import Cluster
import Logging
import NATSTestSupport
import NIOCore
import NIOPosix
import Realm
import Synchronization
import WampMessages
import XCTest

/// One router node of a test: a realm registry shared through its own `ClusterNode`.
struct TestNode {
    let node: ClusterNode
    let realms: RealmRegistry
    let relays: [String: ClusterPubSub]
    var realm: Realm { realms.realm(named: "r1")! }

    static func start(_ name: String, servers: [String], timeout: Duration = .seconds(1),
                      limits: RealmLimits = RealmLimits(), eventHistory: [(prefix: String, limit: Int)] = [],
                      logger: Logger? = nil, configure: (inout ClusterConfiguration) -> Void = { _ in }) async throws -> TestNode {
        var configuration = ClusterConfiguration(natsServers: servers, nodeName: name)
        configuration.nodeTimeout = timeout
        configuration.ackTimeout = .seconds(2)
        configure(&configuration)
        let node = try ClusterNode(configuration: configuration, eventLoop: MultiThreadedEventLoopGroup.singleton.next(),
                                   logger: logger ?? Logger(label: "test.\(name)"))
        try await node.start()
        let realms = RealmRegistry(realmNames: ["r1"], eventHistory: eventHistory, limits: limits)
        let relays = try await node.share(realms)
        return TestNode(node: node, realms: realms, relays: relays)
    }

    /// Joins a session with a recording peer.
    func join(authid: String = "user", authrole: String = "anonymous", serialization: WampSerialization = .json,
              roles: String? = nil) -> (RealmSession, RecordingPeer) {
        let peer = RecordingPeer(serialization: serialization)
        let session = RealmSession(id: realms.newSessionID(), peer: peer, authid: authid, authrole: authrole,
                                   roles: roles.flatMap { JSONValue.parse($0) })
        realm.join(session)
        return (session, peer)
    }

    /// SUBSCRIBE, and the subscription ID once SUBSCRIBED came (the cluster interest is made first).
    func subscribe(_ session: RealmSession, _ peer: RecordingPeer, _ topic: String, match: String? = nil, getRetained: Bool = false,
                   file: StaticString = #filePath, line: UInt = #line) async throws -> WampID {
        let request = WampID.random(in: 1...1_000_000)
        var fields: [String] = []
        if let match { fields.append("\"match\":\"\(match)\"") }
        if getRetained { fields.append("\"get_retained\":true") }
        let options = JSONValue.parse("{" + fields.joined(separator: ",") + "}")!
        realm.broker.subscribe(Subscribe(request: request, options: options, topic: topic), from: session)
        for _ in 0..<500 {
            for message in peer.messages {
                if case .subscribed(let subscribed) = message, subscribed.request == request { return subscribed.subscription }
                if case .error(let error) = message, error.request == request {
                    XCTFail("SUBSCRIBE refused: \(error.error)", file: file, line: line)
                    return 0
                }
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        XCTFail("no SUBSCRIBED", file: file, line: line)
        return 0
    }

    func publish(_ session: RealmSession, _ topic: String, request: WampID = 1, options: String = "{}", arguments: String? = nil) {
        realm.broker.publish(Publish(request: request, options: JSONValue.parse(options)!, topic: topic,
                                     payload: Payload(arguments: arguments.flatMap { RawJSON($0) })), from: session)
    }
}

/// A nats-server of the test's own for each test, and the nodes the test starts on it.
class ClusterNodeTestCase: XCTestCase {
    var server: NATSServerProcess!

    override func setUp() async throws {
        server = try NATSServerProcess()
    }

    override func tearDown() async throws {
        server.stop()
        server.removeStore()
    }

    func nodes(_ count: Int) async throws -> [TestNode] {
        var nodes: [TestNode] = []
        for index in 1...count { nodes.append(try await TestNode.start("n\(index)", servers: [server.url])) }
        return nodes
    }

    func stop(_ nodes: [TestNode]) async {
        for node in nodes { await node.node.stop() }
    }

    /// Nodes n1...n`count`, returned once each knows every other as live.
    func liveNodes(_ count: Int, limits: RealmLimits = RealmLimits()) async throws -> [TestNode] {
        var nodes: [TestNode] = []
        for index in 1...count { nodes.append(try await TestNode.start("n\(index)", servers: [server.url], limits: limits)) }
        try await eventually("every node live to every other") { nodes.allSatisfy { $0.node.liveSlots().count == count - 1 } }
        return nodes
    }
}

/// Waits (up to 5 s) until `condition` holds.
func eventually(_ what: String, timeout: Duration = .seconds(5), file: StaticString = #filePath, line: UInt = #line,
                _ condition: () -> Bool) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while clock.now < deadline {
        if condition() { return }
        try await Task.sleep(for: .milliseconds(10))
    }
    XCTFail("timed out waiting for \(what)", file: file, line: line)
}

/// Waits (up to 5 s) until the asynchronous `condition` holds.
func eventuallyAsync(_ what: String, timeout: Duration = .seconds(5), file: StaticString = #filePath, line: UInt = #line,
                     _ condition: () async -> Bool) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while clock.now < deadline {
        if await condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    XCTFail("timed out waiting for \(what)", file: file, line: line)
}
