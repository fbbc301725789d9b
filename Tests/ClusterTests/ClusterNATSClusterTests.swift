import Cluster
import NATSTestSupport
import Realm
import WampMessages
import XCTest

/// Nodes on different servers of a three-server NATS cluster: interest travels between servers
/// asynchronously, and the announcement behind SUBSCRIBED is what makes the next PUBLISH on the
/// other server reach a subscription made a moment before.
final class ClusterNATSClusterTests: XCTestCase {
    func testSubscribedThenPublishThroughAnotherServer() async throws {
        let cluster = try NATSClusterProcesses()
        defer { cluster.stopAll() }
        let publisherNode = try await TestNode.start("a", servers: [cluster.urls[0]], timeout: .seconds(2))
        let subscriberNode = try await TestNode.start("b", servers: [cluster.urls[1]], timeout: .seconds(2))
        try await eventually("the nodes see each other") {
            publisherNode.node.liveSlots() == [subscriberNode.node.slot] && subscriberNode.node.liveSlots() == [publisherNode.node.slot]
        }
        let (publisher, _) = publisherNode.join()
        let (subscriber, peer) = subscriberNode.join()
        let rounds = 100
        for index in 0..<rounds {
            _ = try await subscriberNode.subscribe(subscriber, peer, "t.routed.\(index)")
            publisherNode.publish(publisher, "t.routed.\(index)", arguments: "[\(index)]")
        }
        try await eventually("\(rounds) events") { peer.events.count == rounds }
        XCTAssertEqual(peer.events.map { $0.payload.arguments?.description ?? "" }, (0..<rounds).map { "[\($0)]" })
        await publisherNode.node.stop()
        await subscriberNode.node.stop()
    }
}
