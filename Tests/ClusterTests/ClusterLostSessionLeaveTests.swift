import NATSClient
import NIOCore
import Realm
import WampMessages
import XCTest

@testable import Cluster

/// A node that dies still has its sessions leave (`ClusterSessionRoster`): every meta subscriber
/// in the cluster gets one `wamp.session.on_leave` per session of the dead node, published by the
/// lowest live node, including sessions that joined before the other nodes started.
final class ClusterLostSessionLeaveTests: ClusterNodeTestCase {
    private func leaves(_ peer: RecordingPeer, _ subscription: WampID) -> [String] {
        peer.events.filter { $0.subscription == subscription }.map { $0.payload.arguments?.description ?? "-" }
    }

    private func roster(_ node: TestNode) -> ClusterSessionRoster { node.node.rosters.withLockedValue { $0 }[0] }

    func testTheSessionsOfALostNodeLeaveOnceForTheCluster() async throws {
        let first = try await TestNode.start("n1", servers: [server.url])
        let (early, _) = first.join(authid: "alice", authrole: "worker")
        let (brief, _) = first.join(authid: "brief", authrole: "worker")
        // n2 and n3 start after those joined: they learn them from n1's answer to their roster query.
        var nodes = [first]
        for name in ["n2", "n3"] { nodes.append(try await TestNode.start(name, servers: [server.url])) }
        try await eventually("every node live to every other") { nodes.allSatisfy { $0.node.liveSlots().count == 2 } }
        let (late, _) = first.join(authid: "carol", authrole: "clerk")
        var watchers: [(RecordingPeer, WampID)] = []
        for node in nodes[1...] {
            let (meta, metaPeer) = node.join()
            watchers.append((metaPeer, try await node.subscribe(meta, metaPeer, "wamp.session.on_leave")))
        }
        first.realm.leave(brief)
        try await eventually("the normal leave, once per subscriber") { watchers.allSatisfy { self.leaves($0.0, $0.1).count == 1 } }
        for node in nodes[1...] {
            try await eventually("\(node.node.nodeName) tracks n1's two sessions") { self.roster(node).members(slot: first.node.slot).count == 2 }
        }

        await first.node.connection.close()  // dies without a word: its sessions never leave
        try await eventually("on_leave for both sessions", timeout: .seconds(8)) {
            watchers.allSatisfy { self.leaves($0.0, $0.1).count == 3 }
        }
        try await Task.sleep(for: .milliseconds(500))
        let expected = [#"[\#(brief.id),"brief","worker"]"#, #"[\#(early.id),"alice","worker"]"#, #"[\#(late.id),"carol","clerk"]"#]
        for (peer, subscription) in watchers {
            XCTAssertEqual(leaves(peer, subscription).sorted(), expected.sorted(), "each once, with authid and authrole")
        }
        let survivors = Array(nodes[1...])
        let lowest = survivors.min { $0.node.slot < $1.node.slot }!
        let other = survivors.max { $0.node.slot < $1.node.slot }!
        XCTAssertEqual(lowest.node.counters.lostSessionsLeft.load(ordering: .relaxed), 2)
        XCTAssertEqual(other.node.counters.lostSessionsLeft.load(ordering: .relaxed), 0, "one node publishes them")
        for node in survivors {
            XCTAssertEqual(roster(node).members(slot: first.node.slot), [], "the lost node's sessions are forgotten")
            XCTAssertEqual(roster(node).count, 1, "the other survivor's meta session stays")
        }
        for node in survivors { await node.node.stop() }
    }

    /// After an outage the roster asks again and drops the sessions whose on_leave it missed.
    func testAResyncDropsTheSessionsWhoseLeaveWasMissed() async throws {
        let nodes = try await liveNodes(2)
        let (alice, _) = nodes[0].join(authid: "alice")
        let (bob, _) = nodes[0].join(authid: "bob")
        let watcher = roster(nodes[1])
        let slot = nodes[0].node.slot
        try await eventually("n2 tracks n1's sessions") { watcher.members(slot: slot).count == 2 }
        // One that left while its on_leave could not reach n2 (a NATS outage) stays in the roster.
        let ghost = SessionMember(id: (UInt64(slot) << 43) | 12_345, authid: "ghost", authrole: "anonymous")
        watcher.add(ghost, slot: slot)
        XCTAssertEqual(watcher.members(slot: slot).count, 3)
        await watcher.resync(slots: [slot + 500])
        XCTAssertTrue(watcher.members(slot: slot).contains(ghost), "another node's resync leaves n1's sessions alone")
        await watcher.resync(slots: [slot])
        XCTAssertEqual(Set(watcher.members(slot: slot).map(\.id)), [alice.id, bob.id], "the missed leave is dropped, the rest stay")
        watcher.add(ghost, slot: slot)
        await watcher.resync(slots: nil)
        XCTAssertEqual(Set(watcher.members(slot: slot).map(\.id)), [alice.id, bob.id], "after this node's own outage: every node")
        await stop(nodes)
    }

    /// A node that has to claim another slot while its sessions live on (its key in `wamp_nodes`
    /// taken): the others file its sessions under the new slot, and the old slot's loss fires no
    /// `on_leave` for them.
    func testASlotMoveIsNotTakenForTheSessionsLeaving() async throws {
        let nodes = try await liveNodes(2)
        let (moving, staying) = (nodes[0], nodes[1])
        let (session, _) = moving.join(authid: "stays")
        let (meta, metaPeer) = staying.join()
        let onLeave = try await staying.subscribe(meta, metaPeer, "wamp.session.on_leave")
        let watcher = roster(staying)
        let old = moving.node.slot
        try await eventually("the session is tracked") { watcher.members(slot: old).map(\.id) == [session.id] }

        let slots = try await NATSKeyValue.createOrBind(NATSKeyValueConfiguration(bucket: ClusterNode.bucket), on: staying.node.connection)
        _ = try await slots.put(ClusterNode.key(old), ByteBuffer(string: "intruder 0"))
        try await eventually("the node claimed another slot") { moving.node.slot != old }
        let new = moving.node.slot
        try await eventually("filed under the new slot") { watcher.members(slot: new).map(\.id) == [session.id] }
        try await eventually("the old slot declared lost") { staying.node.liveSlots() == [new] }
        try await Task.sleep(for: .milliseconds(300))
        XCTAssertEqual(leaves(metaPeer, onLeave), [], "no on_leave for a session that lives on")
        XCTAssertEqual(watcher.members(slot: new).map(\.id), [session.id])
        // Its real leave later still reaches the roster.
        moving.realm.leave(session)
        try await eventually("the leave") { self.leaves(metaPeer, onLeave).count == 1 }
        try await eventually("the roster forgets it") { watcher.count == 0 }
        await stop(nodes)
    }
}
