@testable import Cluster
import Foundation
import NATSClient
import NIOCore
import Realm
import WampMessages
import XCTest

/// A node whose slot is taken from it while it stays connected (its key in `wamp_nodes`
/// overwritten, as when it aged out and another node claimed it) claims another slot; its RPC
/// must follow (docs/cluster.md "Failure modes").
final class ClusterSlotChangeTests: ClusterNodeTestCase {
    /// A CALL from a new session of `from` to `callee` (on `at`), answered: the RESULT's request.
    private func roundTrip(from: TestNode, to procedure: String, at: TestNode, callee: RealmSession, _ calleePeer: RecordingPeer,
                           request: WampID, file: StaticString = #filePath, line: UInt = #line) async throws -> WampID? {
        let (caller, callerPeer) = from.join()
        try from.realm.dealer.call(Call(request: request, options: .emptyObject, procedure: procedure, payload: Payload()), from: caller)
        let invocations = await calleePeer.wait("INVOCATION of \(procedure)", \.invocations, file: file, line: line)
        let invocation = try XCTUnwrap(invocations.first, file: file, line: line)
        _ = try at.realm.dealer.yield(Yield(request: invocation.request, options: .emptyObject), from: callee)
        let results = await callerPeer.wait("RESULT of \(procedure)", \.results, file: file, line: line)
        XCTAssertEqual(callerPeer.errors.map(\.error), [], file: file, line: line)
        return results.first?.request
    }

    /// The directory's callees of `procedure`, as (slot, session).
    private func callees(_ kv: NATSKeyValue, _ procedure: String) async throws -> [[Int]] {
        let key = RegistrationRecord.key(realm: "r1", procedure: procedure, match: .exact)
        let record = try await kv.get(key).flatMap { $0.operation == .put ? RegistrationRecord.decode($0.value) : nil }
        return record?.callees.map { [$0.slot, Int($0.session)] } ?? []
    }

    func testCallsCrossANodeWhoseSlotChangedBothWays() async throws {
        let nodes = try await liveNodes(2)
        let (moving, staying) = (nodes[0], nodes[1])
        let (callee, calleePeer) = moving.join()
        _ = try await moving.register(callee, calleePeer, "p.moving")
        let (farCallee, farPeer) = staying.join()
        _ = try await staying.register(farCallee, farPeer, "p.staying")
        let old = moving.node.slot

        let slots = try await NATSKeyValue.createOrBind(NATSKeyValueConfiguration(bucket: ClusterNode.bucket), on: staying.node.connection)
        _ = try await slots.put(ClusterNode.key(old), ByteBuffer(string: "intruder 0"))
        try await eventually("the node claimed another slot") { moving.node.slot != old }
        let new = moving.node.slot
        // The old slot has no heartbeat now: the other node declares it lost and removes what the
        // directory still names under it.
        try await eventually("the old slot declared lost") { staying.node.liveSlots() == [new] }

        let registrations = try await NATSKeyValue.createOrBind(NATSKeyValueConfiguration(bucket: RegistrationRecord.bucket),
                                                                on: staying.node.connection)
        let moved = try await callees(registrations, "p.moving")
        XCTAssertEqual(moved, [[new, Int(callee.id)]], "the callee is under the new slot only (old slot \(old))")

        let toMoved = try await roundTrip(from: staying, to: "p.moving", at: moving, callee: callee, calleePeer, request: 7)
        XCTAssertEqual(toMoved, 7, "a call from the other node reaches the callee of the node that moved")
        let fromMoved = try await roundTrip(from: moving, to: "p.staying", at: staying, callee: farCallee, farPeer, request: 8)
        XCTAssertEqual(fromMoved, 8, "the caller on the node that moved gets its result")

        await stop(nodes)
    }
}
