import Cluster
import NATSTestSupport
import Realm
import WampMessages
import XCTest

/// One subscription ID per (topic, match) cluster-wide, decided in the `wamp_subscriptions`
/// bucket, and `on_create`/`on_delete` once for the cluster (docs/cluster.md "Pub/sub").
final class ClusterSubscriptionIDTests: ClusterNodeTestCase {
    private func record(_ node: TestNode, _ topic: String, _ match: MatchPolicy = .exact) async throws -> (id: WampID, slots: [Int])? {
        try await node.relays["r1"]!.directoryRecord(topic: topic, match: match)
    }

    /// The meta events a local meta subscriber got on `subscription` whose arguments name `id`.
    private func metaEvents(_ peer: RecordingPeer, subscription: WampID, named id: WampID) -> [Event] {
        metaEvents(peer, subscription: subscription, containing: "\(id)")
    }

    private func metaEvents(_ peer: RecordingPeer, subscription: WampID, containing text: String) -> [Event] {
        peer.events.filter { event in
            guard event.subscription == subscription, let arguments = event.payload.arguments?.description else { return false }
            return arguments.contains(text)
        }
    }

    func testTwoNodesShareOneIDInSubscribedAndEvent() async throws {
        let nodes = try await nodes(2)
        let (first, firstPeer) = nodes[0].join()
        let (second, secondPeer) = nodes[1].join()
        let (publisher, _) = nodes[0].join()
        let one = try await nodes[0].subscribe(first, firstPeer, "t.same")
        let two = try await nodes[1].subscribe(second, secondPeer, "t.same")
        XCTAssertEqual(one, two, "SUBSCRIBED carries the cluster's ID on both nodes")
        let record = try await record(nodes[0], "t.same")
        XCTAssertEqual(record?.id, one)
        XCTAssertEqual(record?.slots, [nodes[0].node.slot, nodes[1].node.slot])
        nodes[0].publish(publisher, "t.same", arguments: "[1]")
        try await eventually("both events") { firstPeer.events.count == 1 && secondPeer.events.count == 1 }
        XCTAssertEqual(firstPeer.events[0].subscription, one)
        XCTAssertEqual(secondPeer.events[0].subscription, one, "the relayed EVENT carries it too")
        // The same URI under another match policy is another subscription.
        let prefix = try await nodes[1].subscribe(second, secondPeer, "t.same", match: "prefix")
        let wildcard = try await nodes[0].subscribe(first, firstPeer, "t.same", match: "wildcard")
        let prefixElsewhere = try await nodes[0].subscribe(first, firstPeer, "t.same", match: "prefix")
        XCTAssertEqual(Set([one, prefix, wildcard]).count, 3)
        XCTAssertEqual(prefixElsewhere, prefix)
        await stop(nodes)
    }

    func testOnCreateAndOnDeleteFireOnceForTheCluster() async throws {
        let nodes = try await nodes(2)
        var watchers: [(RecordingPeer, WampID, WampID)] = []
        for node in nodes {
            let (meta, metaPeer) = node.join()
            let onCreate = try await node.subscribe(meta, metaPeer, Broker.MetaTopic.onCreate)
            let onDelete = try await node.subscribe(meta, metaPeer, Broker.MetaTopic.onDelete)
            watchers.append((metaPeer, onCreate, onDelete))
        }
        let (first, firstPeer) = nodes[0].join()
        let (second, secondPeer) = nodes[1].join()
        let (third, thirdPeer) = nodes[1].join()
        let id = try await nodes[0].subscribe(first, firstPeer, "t.meta")
        _ = try await nodes[1].subscribe(second, secondPeer, "t.meta")
        _ = try await nodes[1].subscribe(third, thirdPeer, "t.meta")
        try await Task.sleep(for: .milliseconds(200))
        // Counted by topic: meta events reach every node's meta subscribers, so one on_create in
        // the whole cluster is one on each node (two if each node fired its own).
        let created = watchers.map { metaEvents($0.0, subscription: $0.1, containing: #""uri":"t.meta""#) }
        XCTAssertEqual(created.map(\.count), [1, 1], "on_create once for the cluster")
        XCTAssertTrue(created[0].first?.payload.arguments?.description.contains("\(id)") ?? false)
        // Node 1's last subscriber leaves: the cluster's subscription stays (node 2 holds it).
        nodes[0].realm.broker.unsubscribe(Unsubscribe(request: 50, subscription: id), from: first)
        nodes[1].realm.broker.unsubscribe(Unsubscribe(request: 51, subscription: id), from: second)
        try await eventuallyAsync("node 1 left the record") { await self.slots(nodes[0], "t.meta") == [nodes[1].node.slot] }
        XCTAssertEqual(watchers.map { metaEvents($0.0, subscription: $0.2, named: id).count }, [0, 0])
        // The last subscriber in the cluster leaves (with its session): on_delete once, key gone.
        nodes[1].realm.leave(third)
        try await eventually("on_delete") { watchers.map { metaEvents($0.0, subscription: $0.2, named: id).count }.reduce(0, +) == 2 }
        let gone = try await record(nodes[0], "t.meta")
        XCTAssertNil(gone, "the key is deleted with the last slot")
        try await Task.sleep(for: .milliseconds(200))
        XCTAssertEqual(watchers.map { metaEvents($0.0, subscription: $0.2, named: id).count }, [1, 1],
                       "on_delete once for the cluster, by the node whose removal deleted the key")
        // A new first subscriber makes it anew: another on_create, on the node that made it now.
        let again = try await nodes[1].subscribe(second, secondPeer, "t.meta")
        try await eventually("on_create again") {
            watchers.allSatisfy { metaEvents($0.0, subscription: $0.1, named: again).count == 1 }
        }
        try await Task.sleep(for: .milliseconds(200))
        XCTAssertEqual(watchers.map { metaEvents($0.0, subscription: $0.1, named: again).count }, [1, 1])
        await stop(nodes)
    }

    func testALostNodesSlotIsRemovedByTheLowestLiveNode() async throws {
        let nodes = try await nodes(3)
        for node in nodes {
            let (session, peer) = node.join()
            _ = try await node.subscribe(session, peer, "t.lost")
        }
        var watchers: [(peer: RecordingPeer, subscription: WampID)] = []
        for node in nodes.prefix(2) {
            let (watcher, watcherPeer) = node.join()
            watchers.append((watcherPeer, try await node.subscribe(watcher, watcherPeer, "wamp.subscription.on_delete")))
        }
        let (only, onlyPeer) = nodes[2].join()
        let onlyID = try await nodes[2].subscribe(only, onlyPeer, "t.lost.only")
        let slots = nodes.map(\.node.slot)
        let before = await self.slots(nodes[0], "t.lost")
        XCTAssertEqual(before, slots)
        // Killed, as far as the others can tell: no session leaves, the heartbeats stop.
        await nodes[2].node.stop()
        try await eventuallyAsync("the lost slot removed", timeout: .seconds(8)) {
            await self.slots(nodes[0], "t.lost") == Array(slots.prefix(2))
        }
        // A subscription only the lost node held goes with its slot.
        try await eventuallyAsync("its own key removed", timeout: .seconds(3)) { await self.slots(nodes[0], "t.lost.only") == nil }
        // Its on_delete once for the cluster, from the node that deleted the key (session 0:
        // the subscribers that ended it were the lost node's).
        for watcher in watchers {
            try await eventually("on_delete of the lost node's subscription") {
                watcher.peer.events.contains { $0.subscription == watcher.subscription }
            }
        }
        try await Task.sleep(for: .milliseconds(300))
        for watcher in watchers {
            let deletes = watcher.peer.events.filter { $0.subscription == watcher.subscription }
            XCTAssertEqual(deletes.map { $0.payload.arguments?.description }, ["[0,\(onlyID)]"])
        }
        await stop(Array(nodes.prefix(2)))
    }

    func testConcurrentFirstSubscribesEndWithOneID() async throws {
        let nodes = try await nodes(3)
        let sessions = nodes.map { $0.join() }
        for round in 0..<10 {
            let topic = "t.race.\(round)"
            let ids = try await withThrowingTaskGroup(of: WampID.self) { group in
                for (index, node) in nodes.enumerated() {
                    group.addTask { try await node.subscribe(sessions[index].0, sessions[index].1, topic) }
                }
                var ids: [WampID] = []
                for try await id in group { ids.append(id) }
                return ids
            }
            XCTAssertEqual(Set(ids).count, 1, "round \(round): \(ids)")
            let record = try await record(nodes[0], topic)
            XCTAssertEqual(record?.id, ids.first)
            XCTAssertEqual(Set(record?.slots ?? []), Set(nodes.map(\.node.slot)))
        }
        await stop(nodes)
    }

    /// After a reconnect a node puts its slot back where the others took it off (they may have
    /// declared it lost), under the ID its subscribers know.
    func testAReconnectedNodePutsItsSlotBack() async throws {
        let nodes = try await nodes(2)
        let (session, peer) = nodes[1].join()
        let id = try await nodes[1].subscribe(session, peer, "t.back")
        try await nodes[0].relays["r1"]!.removeFromDirectory(slot: nodes[1].node.slot)
        let removed = try await record(nodes[0], "t.back")
        XCTAssertNil(removed)
        await nodes[1].relays["r1"]!.reconnected()
        let back = try await record(nodes[0], "t.back")
        XCTAssertEqual(back?.id, id)
        XCTAssertEqual(back?.slots, [nodes[1].node.slot])
        await stop(nodes)
    }

    /// A topic's first SUBSCRIBE on a node is one subscription directory change, bounded by
    /// `--cluster-max-directory-changes` (0 here: every one refused, and said so).
    func testTheDirectoryChangesInFlightAreBounded() async throws {
        let node = try await TestNode.start("n1", servers: [server.url]) { $0.maxDirectoryChangesInFlight = 0 }
        let (session, peer) = node.join()
        node.realm.broker.subscribe(Subscribe(request: 7, options: .emptyObject, topic: "t.bounded"), from: session)
        try await eventually("refused") { !peer.errors.isEmpty }
        XCTAssertEqual(peer.errors.first?.error, ErrorURI.limitExceeded)
        XCTAssertEqual(peer.errors.first?.request, 7)
        let none = try await record(node, "t.bounded")
        XCTAssertNil(none)
        XCTAssertEqual(node.relays["r1"]!.natsSubscriptionCount, 0, "the refused SUBSCRIBE holds nothing")
        // A wamp.* topic that is none of the shared meta events stays on the node: no change.
        _ = try await node.subscribe(session, peer, "wamp.local.topic")
        await stop([node])
    }

    private func slots(_ node: TestNode, _ topic: String) async -> [Int]? {
        (try? await record(node, topic))?.slots
    }
}
