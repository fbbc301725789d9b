@testable import Cluster
import NATSClient
import NATSTestSupport
import NIOCore
import Realm
import WampMessages
import XCTest

/// Testaments that outlive their node (`ClusterTestaments`, `wamp_testaments`): three realms with
/// their own `ClusterNode` on one nats-server. A node "dies" by losing its NATS connection
/// without a word: its sessions never leave, its heartbeats stop, the others declare it lost.
final class ClusterTestamentTests: ClusterNodeTestCase {

    private func bucket(_ node: TestNode) async throws -> NATSKeyValue {
        try await NATSKeyValue.createOrBind(NATSKeyValueConfiguration(bucket: ClusterTestaments.bucket), on: node.node.connection)
    }

    private func key(_ node: TestNode, _ session: RealmSession) -> String {
        ClusterTestaments.key(slot: node.node.slot, realmToken: RegistrationRecord.hex("r1"), session: session.id)
    }

    /// Calls a testament meta procedure and waits for its RESULT.
    private func meta(_ node: TestNode, _ session: RealmSession, _ peer: RecordingPeer, _ procedure: String,
                      _ arguments: String = "[]", _ kwargs: String = "{}", request: WampID,
                      file: StaticString = #filePath, line: UInt = #line) async throws {
        try node.realm.call(Call(request: request, options: .emptyObject, procedure: procedure,
                                 payload: Payload(arguments: RawJSON(arguments), argumentsKw: RawJSON(kwargs))), from: session)
        try await eventually("RESULT of \(procedure)", file: file, line: line) { peer.results.contains { $0.request == request } }
    }

    /// Waits until `key` has a value (`present`) or none.
    private func waitForKey(_ kv: NATSKeyValue, _ key: String, present: Bool,
                            file: StaticString = #filePath, line: UInt = #line) async throws {
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline {
            if try await kv.keys(matching: key).isEmpty != present { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        XCTFail("key \(key) \(present ? "never written" : "still there")", file: file, line: line)
    }

    /// Waits until the list stored under `key` holds `count` testaments.
    private func waitForCount(_ kv: NATSKeyValue, _ key: String, _ count: Int,
                              file: StaticString = #filePath, line: UInt = #line) async throws {
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline {
            if let entry = try await kv.get(key), entry.operation == .put,
               (try? ClusterTestamentCodec.decode(entry.value))?.count == count { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        XCTFail("the list under \(key) never held \(count)", file: file, line: line)
    }

    private func die(_ node: TestNode) async { await node.node.connection.close() }

    private func keepers(_ node: TestNode) -> [ClusterTestaments] { node.node.testamentKeepers.withLockedValue { $0 } }

    /// `--cluster-max-tracked-sessions` reaches the keeper: past it a session's testaments stay
    /// on its node (counted), the first one's are replicated.
    func testSessionsPastTheTrackedBoundAreNotReplicated() async throws {
        let node = try await TestNode.start("n1", servers: [server.url]) { $0.maxTrackedSessions = 1 }
        let (first, firstPeer) = node.join()
        let (second, secondPeer) = node.join()
        try await meta(node, first, firstPeer, "wamp.session.add_testament", "[\"com.example.gone\", [1]]", request: 1)
        try await meta(node, second, secondPeer, "wamp.session.add_testament", "[\"com.example.gone\", [2]]", request: 1)
        let kv = try await bucket(node)
        try await waitForKey(kv, key(node, first), present: true)
        XCTAssertEqual(node.node.counters.testamentsUnreplicated.load(ordering: .relaxed), 1)
        let stored = try await kv.keys(matching: key(node, second))
        XCTAssertEqual(stored, [])
        await node.node.stop()
    }

    func testATestamentOfALostNodeFiresOnceOnEveryOtherNodeAsItsSessionsPublication() async throws {
        let nodes = try await liveNodes(3)
        let (leaver, leaverPeer) = nodes[0].join(authid: "leaver", authrole: "worker")
        let (bob, bobPeer) = nodes[1].join(authid: "bob")
        let (carol, carolPeer) = nodes[2].join(authid: "carol")
        _ = try await nodes[1].subscribe(bob, bobPeer, "com.example.gone")
        _ = try await nodes[2].subscribe(carol, carolPeer, "com.example.gone")
        try await meta(nodes[0], leaver, leaverPeer, "wamp.session.add_testament", #"["com.example.gone", ["destroyed"]]"#,
                       #"{"publish_options": {"disclose_me": true}}"#, request: 1)
        try await meta(nodes[0], leaver, leaverPeer, "wamp.session.add_testament", #"["com.example.gone", ["detached"]]"#,
                       #"{"scope": "detached"}"#, request: 2)
        let kv = try await bucket(nodes[1])
        let key = key(nodes[0], leaver)
        try await waitForKey(kv, key, present: true)
        try await waitForCount(kv, key, 2)

        await die(nodes[0])
        try await eventually("bob's events", timeout: .seconds(8)) { bobPeer.events.count == 2 }
        try await eventually("carol's events") { carolPeer.events.count == 2 }
        try await waitForKey(kv, key, present: false)
        // Once more than a heartbeat later: still one publication per testament, by the lowest slot.
        try await Task.sleep(for: .milliseconds(500))
        for peer in [bobPeer, carolPeer] {
            XCTAssertEqual(peer.events.map { $0.payload.arguments?.description ?? "-" }, [#"["detached"]"#, #"["destroyed"]"#])
            guard peer.events.count == 2 else { continue }
            XCTAssertNil(peer.events[0].details.integer("publisher"))
            XCTAssertEqual(peer.events[1].details.integer("publisher"), Int64(leaver.id))
            XCTAssertEqual(peer.events[1].details.string("publisher_authid"), "leaver")
            XCTAssertEqual(peer.events[1].details.string("publisher_authrole"), "worker")
        }
        XCTAssertEqual(nodes[1].node.counters.testamentsFired.load(ordering: .relaxed), 2)
        XCTAssertEqual(nodes[2].node.counters.testamentsFired.load(ordering: .relaxed), 0)
        for node in nodes { await node.node.stop() }
    }

    /// Two nodes; a session on the first holds one testament (stored) and bob on the second
    /// subscribes to its topic.
    private struct OneTestament {
        let nodes: [TestNode]
        let leaver: RealmSession
        let leaverPeer: RecordingPeer
        let bobPeer: RecordingPeer
        let kv: NATSKeyValue
        let key: String
    }

    private func oneTestament() async throws -> OneTestament {
        let nodes = try await liveNodes(2)
        let (leaver, leaverPeer) = nodes[0].join()
        let (bob, bobPeer) = nodes[1].join(authid: "bob")
        _ = try await nodes[1].subscribe(bob, bobPeer, "com.example.gone")
        try await meta(nodes[0], leaver, leaverPeer, "wamp.session.add_testament", #"["com.example.gone", [1]]"#, request: 1)
        let kv = try await bucket(nodes[1])
        let key = key(nodes[0], leaver)
        try await waitForKey(kv, key, present: true)
        return OneTestament(nodes: nodes, leaver: leaver, leaverPeer: leaverPeer, bobPeer: bobPeer, kv: kv, key: key)
    }

    /// The first node dies; once the second declared it lost (and a little more), bob has
    /// `events` events and the second node fired none.
    private func dieAndExpect(_ setup: OneTestament, events: Int, file: StaticString = #filePath, line: UInt = #line) async throws {
        let lost = LostSlots()
        setup.nodes[1].node.whenNodeLost { lost.add($0) }
        await die(setup.nodes[0])
        try await eventually("node lost", timeout: .seconds(8), file: file, line: line) { !lost.slots.isEmpty }
        try await Task.sleep(for: .milliseconds(300))
        XCTAssertEqual(setup.bobPeer.events.count, events, file: file, line: line)
        XCTAssertEqual(setup.nodes[1].node.counters.testamentsFired.load(ordering: .relaxed), 0, file: file, line: line)
        for node in setup.nodes { await node.node.stop() }
    }

    func testANormallyLeavingSessionsTestamentFiresOnceAndItsKeyGoes() async throws {
        let setup = try await oneTestament()
        setup.nodes[0].realm.leave(setup.leaver)
        try await eventually("the testament's event") { setup.bobPeer.events.count == 1 }
        try await waitForKey(setup.kv, setup.key, present: false)
        try await eventually("nothing tracked") { keepers(setup.nodes[0]).first?.trackedSessions == 0 }
        try await dieAndExpect(setup, events: 1)
    }

    func testFlushedTestamentsLeaveTheStoreAndDoNotFireWhenTheNodeDies() async throws {
        let setup = try await oneTestament()
        try await meta(setup.nodes[0], setup.leaver, setup.leaverPeer, "wamp.session.flush_testaments", request: 2)
        try await waitForKey(setup.kv, setup.key, present: false)
        try await dieAndExpect(setup, events: 0)
    }

    /// NATS unreachable: `add_testament` still succeeds, the list is counted as not replicated,
    /// and it is written once NATS is back.
    func testATestamentAddedWhileNATSIsDownIsStoredWhenItIsBack() async throws {
        let node = try await TestNode.start("n1", servers: [server.url])
        let (leaver, leaverPeer) = node.join()
        server.stop()
        try await eventually("disconnected") { !node.node.isConnected }
        try await meta(node, leaver, leaverPeer, "wamp.session.add_testament", #"["com.example.gone", [1]]"#, request: 1)
        XCTAssertTrue(leaverPeer.errors.isEmpty)
        try await eventually("counted as not replicated") {
            node.node.counters.testamentsUnreplicated.load(ordering: .relaxed) == 1
        }
        try server.start()
        try await eventually("reconnected", timeout: .seconds(10)) { node.node.isConnected }
        let kv = try await bucket(node)
        try await waitForCount(kv, key(node, leaver), 1)
        await node.node.stop()
    }

    /// Two nodes that both believe they are the lowest live slot take the same keys: each list is
    /// published once.
    func testTwoNodesFiringTheSameLostSlotPublishEachListOnce() async throws {
        let nodes = try await liveNodes(3)
        let (bob, bobPeer) = nodes[2].join(authid: "bob")
        _ = try await nodes[2].subscribe(bob, bobPeer, "com.example.gone")
        var sessions: [RealmSession] = []
        for index in 0..<5 {
            let (session, peer) = nodes[0].join()
            try await meta(nodes[0], session, peer, "wamp.session.add_testament", "[\"com.example.gone\", [\(index)]]", request: 1)
            sessions.append(session)
        }
        let kv = try await bucket(nodes[1])
        for session in sessions { try await waitForKey(kv, key(nodes[0], session), present: true) }
        let slot = nodes[0].node.slot
        let first = try XCTUnwrap(keepers(nodes[1]).first)
        let second = try XCTUnwrap(keepers(nodes[2]).first)
        async let one: Void = first.fire(slot: slot)
        async let two: Void = second.fire(slot: slot)
        _ = await (one, two)
        try await eventually("five events") { bobPeer.events.count == 5 }
        try await Task.sleep(for: .milliseconds(300))
        XCTAssertEqual(bobPeer.events.count, 5)
        XCTAssertEqual(Set(bobPeer.events.compactMap { $0.payload.arguments?.description }), Set((0..<5).map { "[\($0)]" }))
        let fired = [nodes[1], nodes[2]].map { $0.node.counters.testamentsFired.load(ordering: .relaxed) }
        XCTAssertEqual(fired.reduce(0, +), 5)
        for node in nodes { await node.node.stop() }
    }

    /// The lists a node left under its slot when it died while no other node ran are published
    /// by the next node to take that slot, at its start.
    func testANodeTakingTheSlotOfADeadNodeFiresWhatItLeft() async throws {
        let first = try await TestNode.start("n1", servers: [server.url])
        let (bob, bobPeer) = first.join(authid: "bob")
        _ = try await first.subscribe(bob, bobPeer, "com.example.gone")
        let kv = try await bucket(first)
        // Slot 2 is the next free one; its earlier holder left a list and a value that is garbage.
        let stale = SessionTestaments(session: (2 << 43) | 7, authid: "ghost", authrole: "spirit", destroyed: [
            Testament(topic: "com.example.gone", payload: Payload(arguments: RawJSON("[\"boo\"]")), publishOptions: .emptyObject),
        ])
        let token = RegistrationRecord.hex("r1")
        try await kv.put(ClusterTestaments.key(slot: 2, realmToken: token, session: stale.session), ClusterTestamentCodec.encode(stale))
        try await kv.put(ClusterTestaments.key(slot: 2, realmToken: token, session: 9), ByteBuffer(string: "garbage"))
        let second = try await TestNode.start("n2", servers: [server.url])
        XCTAssertEqual(second.node.slot, 2)
        try await eventually("the stale testament's event") { bobPeer.events.count == 1 }
        XCTAssertEqual(bobPeer.events.first?.payload.arguments?.description, #"["boo"]"#)
        XCTAssertEqual(second.node.counters.malformedTestaments.load(ordering: .relaxed), 1)
        let left = try await kv.keys(matching: "t.2.>")
        XCTAssertEqual(left, [])
        await second.node.stop()
        await first.node.stop()
    }

    /// A node that has to claim another slot while its sessions live on moves their lists to keys
    /// under the new slot: the old slot's loss then fires nothing.
    func testASlotMoveTakesTheListsAlongAndTheOldSlotFiresNothing() async throws {
        let nodes = try await liveNodes(2)
        let (moving, staying) = (nodes[0], nodes[1])
        let (keeper, keeperPeer) = moving.join(authid: "keeper")
        let (bob, bobPeer) = staying.join(authid: "bob")
        _ = try await staying.subscribe(bob, bobPeer, "com.example.moved")
        try await meta(moving, keeper, keeperPeer, "wamp.session.add_testament", #"["com.example.moved", ["x"]]"#, request: 1)
        let kv = try await bucket(staying)
        let old = moving.node.slot
        let oldKey = key(moving, keeper)
        try await waitForKey(kv, oldKey, present: true)

        let slots = try await NATSKeyValue.createOrBind(NATSKeyValueConfiguration(bucket: ClusterNode.bucket), on: staying.node.connection)
        _ = try await slots.put(ClusterNode.key(old), ByteBuffer(string: "intruder 0"))
        try await eventually("the node claimed another slot") { moving.node.slot != old }
        try await waitForKey(kv, key(moving, keeper), present: true)
        try await waitForKey(kv, oldKey, present: false)
        try await eventually("the old slot declared lost") { staying.node.liveSlots() == [moving.node.slot] }
        try await Task.sleep(for: .milliseconds(500))
        XCTAssertEqual(bobPeer.events.count, 0, "no testament fires for a session that lives on")
        // It still fires when the session leaves.
        moving.realm.leave(keeper)
        try await eventually("the testament") { bobPeer.events.count == 1 }
        for node in nodes { await node.node.stop() }
    }
}
