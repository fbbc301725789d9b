import Cluster
import Foundation
import NATSClient
import NATSTestSupport
import NIOCore
import NIOPosix
import Realm
import Synchronization
import WampMessages
import XCTest

/// A membership whose live slots the test sets: which node is "dead" is the test's decision.
final class FixedMembership: ClusterMembership {
    let slot: Int
    let nodeName: String
    let connection: NATSConnection
    private let live: Mutex<[Int]>
    private let handlers = Mutex<[@Sendable (Int) -> Void]>([])

    init(slot: Int, connection: NATSConnection, live: [Int]) {
        self.slot = slot
        self.nodeName = "n\(slot)"
        self.connection = connection
        self.live = Mutex(live)
    }

    func liveSlots() -> [Int] { live.withLock { $0.filter { $0 != slot } } }

    func whenNodeLost(_ handler: @escaping @Sendable (Int) -> Void) { handlers.withLock { $0.append(handler) } }

    /// The slot is the test's and never changes.
    func whenSlotChanged(_ handler: @escaping @Sendable (Int) -> Void) {}

    func declareAlive(_ slot: Int) { live.withLock { $0.append(slot) } }

    func declareLost(_ lost: Int) {
        live.withLock { $0.removeAll { $0 == lost } }
        for handler in handlers.withLock({ $0 }) { handler(lost) }
    }
}

/// Call timeouts on a real event loop.
struct LoopScheduler: RealmScheduler {
    let loop: any EventLoop
    struct Work: ScheduledWork {
        let task: Scheduled<Void>
        func cancel() { task.cancel() }
    }
    func schedule(afterMilliseconds delay: Int64, _ work: @escaping @Sendable () -> Void) -> any ScheduledWork {
        Work(task: loop.scheduleTask(in: .milliseconds(delay), work))
    }
}

/// A session's transport in a test: records what the realm sends, decoded in its serialization.
final class RecordingPeer: Peer {
    let serialization: WampSerialization
    private let received = Mutex<[EncodedMessage]>([])

    init(serialization: WampSerialization = .json) { self.serialization = serialization }

    func send(_ message: EncodedMessage) { received.withLock { $0.append(message) } }
    private let killedWith = Mutex<[String]>([])
    func kill(reason: String, message: String?) { killedWith.withLock { $0.append(reason) } }
    /// The reasons the router gave for ending this session (`wamp.session.kill*`).
    var kills: [String] { killedWith.withLock { $0 } }

    var messages: [WampMessage] { received.withLock { $0.map { try! $0.serialization.decode($0.bytes) } } }
    func clear() { received.withLock { $0.removeAll() } }

    var invocations: [Invocation] { messages.compactMap { if case .invocation(let m) = $0 { m } else { nil } } }
    var interrupts: [Interrupt] { messages.compactMap { if case .interrupt(let m) = $0 { m } else { nil } } }
    var results: [Result] { messages.compactMap { if case .result(let m) = $0 { m } else { nil } } }
    var errors: [ErrorMessage] { messages.compactMap { if case .error(let m) = $0 { m } else { nil } } }
    var registered: [Registered] { messages.compactMap { if case .registered(let m) = $0 { m } else { nil } } }
    var unregistered: [Unregistered] { messages.compactMap { if case .unregistered(let m) = $0 { m } else { nil } } }
    var events: [Event] { messages.compactMap { if case .event(let m) = $0 { m } else { nil } } }

    /// Waits (up to 5 s) until `count` messages satisfy `matching`; fails the test otherwise.
    @discardableResult
    func wait<T>(_ what: String, _ pick: (RecordingPeer) -> [T], count: Int = 1, seconds: Double = 5,
                 file: StaticString = #filePath, line: UInt = #line) async -> [T] {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let found = pick(self)
            if found.count >= count { return found }
            try? await Task.sleep(nanoseconds: 5_000_000)
        }
        XCTFail("not within \(seconds) s: \(what)", file: file, line: line)
        return pick(self)
    }
}

/// One router node in a test: its own realm, NATS connection and RPC cluster part.
final class RPCNode: Sendable {
    let realm: Realm
    let membership: FixedMembership
    let cluster: ClusterDealer

    init(realm: Realm, membership: FixedMembership, cluster: ClusterDealer) {
        self.realm = realm
        self.membership = membership
        self.cluster = cluster
    }

    static let everything = #"{"caller":{"features":{"progressive_call_results":true,"progressive_call_invocations":true,"call_canceling":true,"payload_passthru_mode":true}},"callee":{"features":{"progressive_call_results":true,"progressive_call_invocations":true,"call_canceling":true,"registration_revocation":true,"payload_passthru_mode":true}}}"#

    func join(_ id: WampID, serialization: WampSerialization = .json, roles: String = everything,
              authid: String? = nil) -> (RealmSession, RecordingPeer) {
        let peer = RecordingPeer(serialization: serialization)
        let session = RealmSession(id: id, peer: peer, authid: authid ?? "user-\(id)", authrole: "role-\(id)",
                                   roles: JSONValue.parse(roles))
        realm.join(session)
        return (session, peer)
    }

    /// REGISTER and wait for the answer: the registration ID, or nil after an ERROR.
    func register(_ session: RealmSession, _ peer: RecordingPeer, _ procedure: String, _ options: String = "{}",
                  request: WampID = 1, file: StaticString = #filePath, line: UInt = #line) async -> WampID? {
        realm.dealer.register(Register(request: request, options: JSONValue.parse(options)!, procedure: procedure), from: session)
        await peer.wait("answer to REGISTER \(request)", { peer in
            peer.messages.filter {
                if case .registered(let r) = $0 { return r.request == request }
                if case .error(let e) = $0 { return e.requestType == .register && e.request == request }
                return false
            }
        }, file: file, line: line)
        return peer.registered.first { $0.request == request }?.registration
    }

    /// REGISTER that must succeed.
    func mustRegister(_ session: RealmSession, _ peer: RecordingPeer, _ procedure: String, _ options: String = "{}",
                      request: WampID = 1, file: StaticString = #filePath, line: UInt = #line) async throws -> WampID {
        let id = await register(session, peer, procedure, options, request: request, file: file, line: line)
        return try XCTUnwrap(id, "REGISTER \(procedure): \(peer.errors.map(\.error))", file: file, line: line)
    }

    func call(_ session: RealmSession, _ procedure: String, _ options: String = "{}", request: WampID = 1,
              args: String? = nil, kwargs: String? = nil) throws {
        try realm.dealer.call(Call(request: request, options: JSONValue.parse(options)!, procedure: procedure,
                                   payload: Payload(arguments: args.map { RawJSON($0)! }, argumentsKw: kwargs.map { RawJSON($0)! })),
                              from: session)
    }
}

/// A nats-server of the test's own and up to three nodes on it, all live to each other.
class ClusterRPCTestCase: XCTestCase {
    var server: NATSServerProcess!
    var nodes: [RPCNode] = []
    var connections: [NATSConnection] = []

    override func setUpWithError() throws {
        server = try NATSServerProcess()
    }

    override func tearDown() async throws {
        for node in nodes { await node.cluster.stop() }
        for connection in connections { await connection.close() }
        nodes = []
        connections = []
        server?.stop()
        server?.removeStore()
        server = nil
    }

    func makeNodes(_ count: Int, limits: ClusterRPCLimits = ClusterRPCLimits(), reconnectAttempts: Int = 2) async throws -> [RPCNode] {
        let slots = Array(1...count)
        for slot in slots {
            var configuration = NATSConnectionConfiguration(servers: [try NATSServerAddress(server.url)], name: "node-\(slot)")
            configuration.maxReconnectAttempts = reconnectAttempts
            configuration.reconnectWaitMax = .milliseconds(100)
            let loop = MultiThreadedEventLoopGroup.singleton.next()
            let connection = NATSConnection(configuration: configuration, eventLoop: loop)
            connections.append(connection)
            try await connection.connect()
            let membership = FixedMembership(slot: slot, connection: connection, live: slots)
            let realm = Realm(name: "realm1", scheduler: LoopScheduler(loop: loop))
            let cluster = ClusterDealer(realm: realm, membership: membership, limits: limits)
            try await cluster.start()
            nodes.append(RPCNode(realm: realm, membership: membership, cluster: cluster))
        }
        return nodes
    }
}
