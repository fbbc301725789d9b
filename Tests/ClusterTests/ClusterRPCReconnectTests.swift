@testable import Cluster
import Foundation
import NATSClient
import Realm
import WampMessages
import XCTest

/// A node whose NATS went away and came back while the others removed its callees.
final class ClusterRPCReconnectTests: ClusterRPCTestCase {
    /// Restarts the server (same port and store) and waits until every node is connected again;
    /// `whileDown` runs against the restarted server before the nodes are told (the other
    /// nodes' cleanup of a node they declared lost).
    private func restartServer(_ nodes: [RPCNode], thenAsOtherNode whileDown: (NATSKeyValue) async throws -> Void) async throws {
        server.stop()
        try server.start()
        for node in nodes {
            let deadline = Date().addingTimeInterval(10)
            while !node.membership.connection.isConnected, Date() < deadline { try await Task.sleep(nanoseconds: 20_000_000) }
            XCTAssertTrue(node.membership.connection.isConnected)
        }
        let kv = try await NATSKeyValue.createOrBind(NATSKeyValueConfiguration(bucket: RegistrationRecord.bucket),
                                                     on: nodes[1].membership.connection)
        try await whileDown(kv)
    }

    func testARegistrationRemovedWhileTheNodeWasAwayIsPutBackUnderItsID() async throws {
        let nodes = try await makeNodes(2, reconnectAttempts: 200)
        let (callee, calleePeer) = nodes[0].join(101)
        let id = try await nodes[0].mustRegister(callee, calleePeer, "p.back")
        let key = RegistrationRecord.key(realm: "realm1", procedure: "p.back", match: .exact)
        try await restartServer(nodes) { kv in _ = try await kv.delete(key) }
        await nodes[0].cluster.reconnected()
        let entry = try await NATSKeyValue.createOrBind(NATSKeyValueConfiguration(bucket: RegistrationRecord.bucket),
                                                        on: nodes[0].membership.connection).get(key)
        XCTAssertEqual(entry.flatMap { RegistrationRecord.decode($0.value) }?.id, id)
        XCTAssertEqual(nodes[1].realm.dealer.calleeIDs(of: id), [101])
        let (caller, _) = nodes[1].join(201)
        try nodes[1].call(caller, "p.back", request: 1)
        await calleePeer.wait("INVOCATION", \.invocations)
    }

    func testARegistrationTakenByAnotherNodeMeanwhileIsRevokedFromTheLocalCallee() async throws {
        let nodes = try await makeNodes(2, reconnectAttempts: 200)
        let (callee, calleePeer) = nodes[0].join(101)
        let id = try await nodes[0].mustRegister(callee, calleePeer, "p.taken")
        let key = RegistrationRecord.key(realm: "realm1", procedure: "p.taken", match: .exact)
        let (other, otherPeer) = nodes[1].join(201)
        try await restartServer(nodes) { kv in _ = try await kv.delete(key) }
        nodes[1].membership.declareLost(1)
        let taken = try await nodes[1].mustRegister(other, otherPeer, "p.taken")
        XCTAssertNotEqual(taken, id)
        await nodes[0].cluster.reconnected()
        let revocations = await calleePeer.wait("UNREGISTERED", { $0.unregistered.filter { $0.request == 0 } })
        XCTAssertEqual(revocations.first?.details?.string("reason"), ErrorURI.procedureAlreadyExists)
        XCTAssertEqual(revocations.first?.details?.integer("registration"), Int64(id))
        XCTAssertEqual(nodes[0].realm.dealer.lookup(procedure: "p.taken", match: .exact), taken)
        XCTAssertEqual(nodes[0].realm.dealer.calleeIDs(of: taken), [201])
    }
}
