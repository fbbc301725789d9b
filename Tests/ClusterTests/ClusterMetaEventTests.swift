import Cluster
import NATSTestSupport
import Realm
import WampMessages
import XCTest

/// Meta events across nodes: the node where one happens publishes it, and meta subscribers on
/// every node get it exactly once.
final class ClusterMetaEventTests: ClusterNodeTestCase {
    func testSessionJoinAndLeaveReachSubscribersOnEveryNodeOnce() async throws {
        let nodes = try await liveNodes(3)
        var subscribers: [(peer: RecordingPeer, join: WampID, leave: WampID)] = []
        for node in nodes {
            let (session, peer) = node.join()
            let join = try await node.subscribe(session, peer, "wamp.session.on_join")
            let leave = try await node.subscribe(session, peer, "wamp.session.on_leave")
            subscribers.append((peer, join, leave))
        }
        // The meta topics listen to the cluster; any other wamp.* topic stays on its node.
        XCTAssertEqual(nodes[0].relays["r1"]!.natsSubscriptionCount, 2)
        let (other, otherPeer) = nodes[0].join()
        _ = try await nodes[0].subscribe(other, otherPeer, "wamp.custom.topic")
        XCTAssertEqual(nodes[0].relays["r1"]!.natsSubscriptionCount, 2)

        let (visitor, _) = nodes[1].join(authid: "visitor")
        let joined = { (peer: RecordingPeer, subscription: WampID) in
            events(peer, subscription: subscription).filter { $0.contains("\"session\":\(visitor.id)") }.count
        }
        let left = { (peer: RecordingPeer, subscription: WampID) in
            events(peer, subscription: subscription).filter { $0.hasPrefix("[\(visitor.id),") }.count
        }
        for (index, subscriber) in subscribers.enumerated() {
            try await eventually("on_join on node \(index + 1)") { joined(subscriber.peer, subscriber.join) == 1 }
        }
        nodes[1].realm.leave(visitor)
        for (index, subscriber) in subscribers.enumerated() {
            try await eventually("on_leave on node \(index + 1)") { left(subscriber.peer, subscriber.leave) == 1 }
        }
        try await Task.sleep(for: .milliseconds(300))
        for (index, subscriber) in subscribers.enumerated() {
            XCTAssertEqual(joined(subscriber.peer, subscriber.join), 1, "node \(index + 1): on_join once")
            XCTAssertEqual(left(subscriber.peer, subscriber.leave), 1, "node \(index + 1): on_leave once")
            XCTAssertEqual(events(subscriber.peer, subscription: subscriber.leave), ["[\(visitor.id),\"visitor\",\"anonymous\"]"])
        }
        for node in nodes { await node.node.stop() }
    }

    /// A shared registration made and ended from two nodes: every meta subscriber (a prefix on
    /// node 1, a wildcard on node 2, exact subscriptions on node 3) gets each event once.
    func testRegistrationMetaEventsFireOnceAcrossThreeNodes() async throws {
        let nodes = try await liveNodes(3)
        let (prefix, prefixPeer) = nodes[0].join()
        _ = try await nodes[0].subscribe(prefix, prefixPeer, "wamp.registration.on_", match: "prefix")
        let (wildcard, wildcardPeer) = nodes[1].join()
        _ = try await nodes[1].subscribe(wildcard, wildcardPeer, "wamp.registration.", match: "wildcard")
        let (exact, exactPeer) = nodes[2].join()
        var exactTopics: [WampID: String] = [:]
        for topic in ["on_create", "on_register", "on_unregister", "on_delete"] {
            exactTopics[try await nodes[2].subscribe(exact, exactPeer, "wamp.registration.\(topic)")] = topic
        }
        let patternEvents = { (peer: RecordingPeer) in
            peer.events.map { String($0.details.string("topic")!.dropFirst("wamp.registration.".count)) }.sorted()
        }
        let exactEvents = { exactPeer.events.map { exactTopics[$0.subscription]! }.sorted() }

        let (first, firstPeer) = nodes[0].join()
        let (second, secondPeer) = nodes[1].join()
        let id = try await nodes[0].register(first, firstPeer, "com.meta.shared", options: #"{"invoke":"roundrobin"}"#)
        let same = try await nodes[1].register(second, secondPeer, "com.meta.shared", options: #"{"invoke":"roundrobin"}"#)
        XCTAssertEqual(id, same)
        nodes[1].realm.leave(second)
        nodes[0].realm.dealer.unregister(Unregister(request: 9, registration: id), from: first)
        _ = await firstPeer.wait("UNREGISTERED", \.unregistered)

        let expected = ["on_create", "on_delete", "on_register", "on_register", "on_unregister", "on_unregister"]
        try await eventually("prefix subscriber's events") { patternEvents(prefixPeer).count >= 6 }
        try await eventually("wildcard subscriber's events") { patternEvents(wildcardPeer).count >= 6 }
        try await eventually("exact subscribers' events") { exactEvents().count >= 6 }
        try await Task.sleep(for: .milliseconds(300))
        XCTAssertEqual(patternEvents(prefixPeer), expected)
        XCTAssertEqual(patternEvents(wildcardPeer), expected)
        XCTAssertEqual(exactEvents(), expected)
        for node in nodes { await node.node.stop() }
    }

    /// Every node removes a lost node's callees from its own copy and the lowest live node tells
    /// the cluster, so each subscriber gets one `on_unregister` and one `on_delete`, not one per node.
    func testALostNodesCalleeLeavesWithOneEventPerSubscriber() async throws {
        let nodes = try await liveNodes(3)
        var subscribers: [RegistrationRemovalSubscriber] = []
        for node in [nodes[0], nodes[2]] { subscribers.append(try await node.subscribeToRegistrationRemovals()) }
        let (callee, calleePeer) = nodes[1].join()
        let id = try await nodes[1].register(callee, calleePeer, "com.meta.lost")
        XCTAssertEqual(nodes[0].realm.dealer.lookup(procedure: "com.meta.lost", match: .exact), id)
        XCTAssertEqual(nodes[2].realm.dealer.lookup(procedure: "com.meta.lost", match: .exact), id)
        await nodes[1].node.stop()
        for subscriber in subscribers {
            try await eventually("on_delete after the node loss") { !events(subscriber.peer, subscription: subscriber.delete).isEmpty }
        }
        try await Task.sleep(for: .milliseconds(500))
        for (index, subscriber) in subscribers.enumerated() {
            XCTAssertEqual(events(subscriber.peer, subscription: subscriber.unregister), ["[\(callee.id),\(id)]"], "subscriber \(index)")
            XCTAssertEqual(events(subscriber.peer, subscription: subscriber.delete), ["[\(callee.id),\(id)]"], "subscriber \(index)")
        }
        await nodes[0].node.stop()
        await nodes[2].node.stop()
    }
}
