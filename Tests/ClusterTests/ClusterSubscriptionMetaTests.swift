import Cluster
import Realm
import WampMessages
import XCTest

/// `wamp.subscription.list/lookup/match/get` answer with every node's subscriptions.
final class ClusterSubscriptionMetaTests: ClusterNodeTestCase {
    func testTheMetaQueriesSeeAnotherNodesSubscriptions() async throws {
        let nodes = try await nodes(2)
        let (session, peer) = nodes[0].join()
        let exact = try await nodes[0].subscribe(session, peer, "t.q.a")
        let prefix = try await nodes[0].subscribe(session, peer, "t.q", match: "prefix")
        let wildcard = try await nodes[0].subscribe(session, peer, "t..a", match: "wildcard")
        let broker = nodes[1].realm.broker
        // Node 2 has no subscriber: it knows them from the directory (its watch).
        try await eventually("node 2 sees all three") { broker.lookup(topic: "t.q.a") == exact }
        try await eventually("and the patterns") { broker.lookup(topic: "t..a", match: .wildcard) == wildcard }
        XCTAssertEqual(broker.lookup(topic: "t.q", match: .prefix), prefix)
        let lists = broker.subscriptionLists()
        XCTAssertEqual(lists.exact, [exact])
        XCTAssertEqual(lists.prefix, [prefix])
        XCTAssertEqual(lists.wildcard, [wildcard])
        XCTAssertEqual(broker.matchingSubscriptions(topic: "t.q.a"), [exact, prefix, wildcard])
        XCTAssertEqual(broker.matchingSubscriptions(topic: "t.x.a"), [wildcard])
        let info = broker.info(prefix)
        XCTAssertEqual(info?.topic, "t.q")
        XCTAssertEqual(info?.match, .prefix)
        XCTAssertEqual(info?.created, nodes[0].realm.broker.info(prefix)?.created, "the cluster's creation time on both nodes")
        XCTAssertEqual(info?.subscribers, [], "the subscribers are each node's own")
        // A local subscription of node 2 merges with the cluster's, listed once.
        let (other, otherPeer) = nodes[1].join()
        let same = try await nodes[1].subscribe(other, otherPeer, "t.q.a")
        XCTAssertEqual(same, exact)
        XCTAssertEqual(broker.subscriptionLists().exact, [exact])
        XCTAssertEqual(broker.info(exact)?.subscribers, [other.id])
        // Gone everywhere once node 1's subscriber leaves (and node 2's).
        nodes[0].realm.leave(session)
        nodes[1].realm.leave(other)
        try await eventually("node 2 forgets them") { broker.subscriptionLists() == ([], [], []) }
        XCTAssertNil(broker.info(prefix))
        await stop(nodes)
    }
}
