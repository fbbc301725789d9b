import NATSClient
import NATSTestSupport
import NIOCore
import NIOPosix
import Realm
import WampMessages
import XCTest

@testable import Cluster

/// Removed keys leave nothing that grows for good (docs/cluster.md "Bounded state"): the sweep
/// takes old delete markers out of the buckets, the copies drop their tombstones after the
/// grace, and a copy that was away while a marker went forgets its key on the next watch.
final class ClusterDeleteMarkerTests: ClusterNodeTestCase {
    private func connection() async throws -> NATSConnection {
        let configuration = NATSConnectionConfiguration(servers: [try NATSServerAddress(server.url)], name: "test")
        let connection = NATSConnection(configuration: configuration, eventLoop: MultiThreadedEventLoopGroup.singleton.next())
        try await connection.connect()
        return connection
    }

    private func storedEntries(_ bucket: String, on connection: NATSConnection) async throws -> UInt64 {
        try await NATSKeyValue.bind(bucket: bucket, on: connection)?.status().storedEntries ?? 0
    }

    func testTheSweepRemovesOldMarkersAndTheCopiesForgetTheirTombstones() async throws {
        var nodes: [TestNode] = []
        for index in 1...2 {
            nodes.append(try await TestNode.start("n\(index)", servers: [server.url]) {
                $0.tombstoneGrace = .zero
                $0.sweepInterval = .seconds(3600)  // swept by the test only
            })
        }
        let nats = try await connection()
        let (keeper, keeperPeer) = nodes[0].join()
        _ = try await nodes[0].subscribe(keeper, keeperPeer, "t.keep")
        _ = try await nodes[0].register(keeper, keeperPeer, "p.keep")
        // Twenty topics and procedures come and go with their session.
        let (visitor, visitorPeer) = nodes[0].join()
        for index in 0..<20 {
            _ = try await nodes[0].subscribe(visitor, visitorPeer, "t.gone.\(index)")
            _ = try await nodes[0].register(visitor, visitorPeer, "p.gone.\(index)")
        }
        nodes[0].realm.leave(visitor)
        try await eventuallyAsync("20 delete markers in each bucket") {
            let subscriptions = try? await NATSKeyValue.bind(bucket: SubscriptionRecord.bucket, on: nats)?.markers()
            let registrations = try? await NATSKeyValue.bind(bucket: RegistrationRecord.bucket, on: nats)?.markers()
            return subscriptions?.count == 20 && registrations?.count == 20
        }
        let subscriptionsBefore = try await storedEntries(SubscriptionRecord.bucket, on: nats)
        let registrationsBefore = try await storedEntries(RegistrationRecord.bucket, on: nats)
        XCTAssertEqual([subscriptionsBefore, registrationsBefore], [21, 21], "the markers and the live key")

        let removed = await nodes[1].node.sweepDeleteMarkers()
        XCTAssertEqual(removed, 40)
        let subscriptionsLeft = try await storedEntries(SubscriptionRecord.bucket, on: nats)
        let registrationsLeft = try await storedEntries(RegistrationRecord.bucket, on: nats)
        XCTAssertEqual(subscriptionsLeft, 1, "only t.keep is left")
        XCTAssertEqual(registrationsLeft, 1, "only p.keep is left")
        XCTAssertEqual(nodes[1].node.counters.deleteMarkersRemoved.load(ordering: .relaxed), 40)
        let kept = try await nodes[1].relays["r1"]!.directoryRecord(topic: "t.keep", match: .exact)
        XCTAssertEqual(kept?.slots, [nodes[0].node.slot], "a live key is not touched")

        // The next change on each node drops the tombstones whose grace is over (here: all).
        let (late, latePeer) = nodes[0].join()
        _ = try await nodes[0].subscribe(late, latePeer, "t.after")
        _ = try await nodes[0].register(late, latePeer, "p.after")
        for node in nodes {
            try await eventually("\(node.node.nodeName)'s copies hold the live keys only") {
                node.relays["r1"]!.directoryCopyKeyCount == 2 && node.node.sharedDealers[0].directoryCopyKeyCount == 2
            }
        }
        // A key removed and made again is a new key with a new ID, on every node.
        let again = try await nodes[1].subscribe(late, latePeer, "t.gone.3")
        let record = try await nodes[0].relays["r1"]!.directoryRecord(topic: "t.gone.3", match: .exact)
        XCTAssertEqual(record?.id, again)
        await nats.close()
        await stop(nodes)
    }

    func testTheLowestLiveNodeSweepsOnItsOwn() async throws {
        var nodes: [TestNode] = []
        for index in 1...2 {
            // A node timeout far above a heartbeat's delay on a busy machine: neither node may
            // take the other for lost (and itself for the lowest) during the test.
            nodes.append(try await TestNode.start("n\(index)", servers: [server.url], timeout: .seconds(10)) {
                $0.tombstoneGrace = .zero
                $0.sweepInterval = .milliseconds(200)
            })
        }
        try await eventually("each node hears the other") { nodes.allSatisfy { $0.node.liveSlots().count == 1 } }
        let nats = try await connection()
        let (visitor, visitorPeer) = nodes[1].join()
        for index in 0..<5 { _ = try await nodes[1].subscribe(visitor, visitorPeer, "t.brief.\(index)") }
        nodes[1].realm.leave(visitor)
        // Generous: one sweep may wait out a watch's timeout (ten seconds) before the next runs.
        try await eventuallyAsync("the markers are swept away", timeout: .seconds(25)) {
            let markers = try? await NATSKeyValue.bind(bucket: SubscriptionRecord.bucket, on: nats)?.markers()
            let stored = try? await self.storedEntries(SubscriptionRecord.bucket, on: nats)
            return markers?.isEmpty == true && stored == 0
        }
        let lowest = nodes.min { $0.node.slot < $1.node.slot }!
        let other = nodes.max { $0.node.slot < $1.node.slot }!
        XCTAssertEqual(lowest.node.counters.deleteMarkersRemoved.load(ordering: .relaxed), 5)
        XCTAssertEqual(other.node.counters.deleteMarkersRemoved.load(ordering: .relaxed), 0, "one node sweeps")
        await nats.close()
        await stop(nodes)
    }

    func testACopyForgetsAKeyWhoseMarkerWasSweptWhileItWasAway() async throws {
        let nats = try await connection()
        var configuration = NATSKeyValueConfiguration(bucket: SubscriptionRecord.bucket)
        configuration.history = 1
        let kv = try await NATSKeyValue.createOrBind(configuration, on: nats)
        let key = SubscriptionRecord.key(realm: "r1", topic: "t.away", match: .exact)
        let record = SubscriptionRecord(id: 77, topic: "t.away", match: "exact", created: "2026-12-03T00:00:00.000Z", slots: [2])
        try await kv.put(key, record.encoded())
        let stays = SubscriptionRecord.key(realm: "r1", topic: "t.stays", match: .exact)
        try await kv.put(stays, SubscriptionRecord(id: 78, topic: "t.stays", match: "exact", created: "2026-12-03T00:00:00.000Z",
                                                   slots: [2]).encoded())
        let copy = ClusterSubscriptionCopy(tombstoneGrace: .minutes(5))
        try await copy.watch(kv, realm: "r1", timeout: .seconds(5), on: nats.eventLoop)
        XCTAssertEqual(copy.entry(id: 77)?.topic, "t.away")
        await copy.stop()

        // While this copy does not watch: the key is removed and its marker swept.
        let marker = try await kv.delete(key)
        try await kv.removeMarker(key, revision: marker)
        try await copy.watch(kv, realm: "r1", timeout: .seconds(5), on: nats.eventLoop)
        XCTAssertNil(copy.entry(id: 77), "the swept key is forgotten")
        XCTAssertEqual(copy.entry(id: 78)?.topic, "t.stays")
        XCTAssertEqual(copy.keyCount, 1)
        await copy.stop()
        await nats.close()
    }
}
