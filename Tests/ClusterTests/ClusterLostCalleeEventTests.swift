import Realm
import WampMessages
import XCTest

@testable import Cluster

/// A lost node's callees leave with one `on_unregister` and one `on_delete` per meta subscriber
/// in the cluster, whichever way each node learns of the loss first.
final class ClusterLostCalleeEventTests: ClusterNodeTestCase {
    /// n3 sees the lowest node's removal of the lost callee (a directory change) before it
    /// declares the node lost itself: it must not be the one that tells its subscribers.
    func testASubscriberHearsOfALostCalleeOnceWhenTheDirectoryChangeComesFirst() async throws {
        let nodes = try await liveNodes(3)
        var subscribers: [RegistrationRemovalSubscriber] = []
        for node in [nodes[0], nodes[2]] { subscribers.append(try await node.subscribeToRegistrationRemovals()) }
        let (callee, calleePeer) = nodes[1].join()
        let id = try await nodes[1].register(callee, calleePeer, "com.meta.lost.first")
        try await eventually("n3 knows the registration") {
            nodes[2].realm.dealer.lookup(procedure: "com.meta.lost.first", match: .exact) == id
        }
        let lowest = nodes.min { $0.node.slot < $1.node.slot }!
        XCTAssertEqual(lowest.node.nodeName, "n1")
        // n1 declares n2 lost ahead of everyone (as its heartbeat check may, by up to a tick).
        lowest.node.sharedDealers[0].nodeLost(nodes[1].node.slot)
        try await eventually("n3 applied the directory change") {
            nodes[2].realm.dealer.lookup(procedure: "com.meta.lost.first", match: .exact) == nil
        }
        let expected = ["[\(callee.id),\(id)]"]
        for (index, subscriber) in subscribers.enumerated() {
            try await eventually("subscriber \(index)'s events") {
                events(subscriber.peer, subscription: subscriber.unregister) == expected
                    && events(subscriber.peer, subscription: subscriber.delete) == expected
            }
        }
        // Then n2 really goes: every node declares it lost; nothing more is told.
        await nodes[1].node.connection.close()
        try await eventually("n3 declares n2 lost") { !nodes[2].node.liveSlots().contains(nodes[1].node.slot) }
        try await Task.sleep(for: .milliseconds(500))
        for (index, subscriber) in subscribers.enumerated() {
            XCTAssertEqual(events(subscriber.peer, subscription: subscriber.unregister), expected, "subscriber \(index)")
            XCTAssertEqual(events(subscriber.peer, subscription: subscriber.delete), expected, "subscriber \(index)")
        }
        for node in [nodes[0], nodes[2]] { await node.node.stop() }
    }
}
