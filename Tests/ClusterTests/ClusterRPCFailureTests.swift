@testable import Cluster
import NATSClient
import NIOCore
import Realm
import WampMessages
import XCTest

/// Nodes that die, NATS that goes away, and the bounds of cross-node RPC.
final class ClusterRPCFailureTests: ClusterRPCTestCase {
    private func eventually(_ what: String, file: StaticString = #filePath, line: UInt = #line, _ condition: () -> Bool) async {
        let deadline = Date().addingTimeInterval(5)
        while !condition(), Date() < deadline { try? await Task.sleep(nanoseconds: 5_000_000) }
        XCTAssertTrue(condition(), "not within 5 s: \(what)", file: file, line: line)
    }

    /// Waits (up to 5 s) until the directory's key of `procedure` holds a delete marker.
    private func assertDeletedFromTheDirectory(_ procedure: String, on node: RPCNode,
                                               file: StaticString = #filePath, line: UInt = #line) async throws {
        let kv = try await NATSKeyValue.createOrBind(NATSKeyValueConfiguration(bucket: RegistrationRecord.bucket),
                                                     on: node.membership.connection)
        let key = RegistrationRecord.key(realm: "realm1", procedure: procedure, match: .exact)
        let deadline = Date().addingTimeInterval(5)
        var entry = try await kv.get(key)
        while entry?.operation != .delete, Date() < deadline {
            try await Task.sleep(nanoseconds: 10_000_000)
            entry = try await kv.get(key)
        }
        XCTAssertEqual(entry?.operation, .delete, file: file, line: line)
    }

    func testACalleeNodeThatDiesCancelsItsPendingCallsAndItsRegistrationsGoClusterWide() async throws {
        let nodes = try await makeNodes(3)
        let (callee, calleePeer) = nodes[1].join(201)
        let id = try await nodes[1].mustRegister(callee, calleePeer, "p.lost")
        let (caller, callerPeer) = nodes[0].join(101)
        try nodes[0].call(caller, "p.lost", request: 6)
        await calleePeer.wait("INVOCATION", \.invocations)

        for node in [nodes[0], nodes[2]] { node.membership.declareLost(2) }
        XCTAssertEqual(callerPeer.errors.map(\.error), [ErrorURI.canceled])
        XCTAssertEqual(callerPeer.errors.first?.request, 6)
        XCTAssertNil(nodes[0].realm.dealer.calleeIDs(of: id))
        XCTAssertNil(nodes[2].realm.dealer.calleeIDs(of: id))
        // Node 1, the lowest live slot, removes the dead node's callees from the directory.
        try await assertDeletedFromTheDirectory("p.lost", on: nodes[0])
        let (again, againPeer) = nodes[2].join(301)
        let newID = try await nodes[2].mustRegister(again, againPeer, "p.lost")
        XCTAssertNotEqual(newID, id)
        XCTAssertEqual(nodes[0].realm.dealer.calleeIDs(of: newID), [301])
    }

    func testACallerNodeThatDiesHasItsPendingInvocationsInterrupted() async throws {
        let nodes = try await makeNodes(2)
        let (callee, calleePeer) = nodes[1].join(201)
        _ = try await nodes[1].mustRegister(callee, calleePeer, "p.orphan")
        let (caller, _) = nodes[0].join(101)
        try nodes[0].call(caller, "p.orphan", request: 1)
        let invocations = await calleePeer.wait("INVOCATION", \.invocations)
        let invocation = try XCTUnwrap(invocations.first)
        XCTAssertEqual(nodes[1].realm.dealer.pendingCallCount, 1)
        nodes[1].membership.declareLost(1)
        XCTAssertEqual(calleePeer.interrupts.map(\.request), [invocation.request])
        XCTAssertEqual(nodes[1].realm.dealer.pendingCallCount, 0)
    }

    /// A dropped cluster connection may have lost an INVOCATION or its YIELD without a word: the
    /// calls pending at the remote callees concerned end with `wamp.error.canceled`, the others
    /// (and the registrations) stay, and a late YIELD finds nothing to answer.
    func testCallsPendingAtANodeWhoseConnectionDroppedEndWithCanceled() async throws {
        let nodes = try await makeNodes(3)
        let (near, nearPeer) = nodes[1].join(201)
        let nearID = try await nodes[1].mustRegister(near, nearPeer, "p.near")
        let (far, farPeer) = nodes[2].join(301)
        _ = try await nodes[2].mustRegister(far, farPeer, "p.far")
        let (caller, callerPeer) = nodes[0].join(101)
        try nodes[0].call(caller, "p.near", request: 1)
        try nodes[0].call(caller, "p.far", request: 2)
        let nearInvocations = await nearPeer.wait("INVOCATION at node 2", \.invocations)
        await farPeer.wait("INVOCATION at node 3", \.invocations)

        nodes[0].cluster.connectionInterrupted(slots: [2])
        XCTAssertEqual(callerPeer.errors.map(\.request), [1], "only the call at the node that reconnected")
        XCTAssertEqual(callerPeer.errors.first?.error, ErrorURI.canceled)
        XCTAssertEqual(nodes[0].realm.dealer.calleeIDs(of: nearID), [201], "the registration stays")
        // The YIELD that did arrive after all finds no pending call.
        let yield = Yield(request: try XCTUnwrap(nearInvocations.first).request, options: .emptyObject)
        _ = try nodes[1].realm.dealer.yield(yield, from: near)
        try await Task.sleep(nanoseconds: 200_000_000)
        XCTAssertTrue(callerPeer.results.isEmpty)

        nodes[0].cluster.connectionInterrupted(slots: nil)
        XCTAssertEqual(callerPeer.errors.map(\.request), [1, 2], "this node's own drop: every call at other nodes")
    }

    func testWithoutNATSRemoteCallsFailWithClusterUnavailableAndLocalCallsGoOn() async throws {
        let nodes = try await makeNodes(2)
        let (remote, remotePeer) = nodes[1].join(201)
        _ = try await nodes[1].mustRegister(remote, remotePeer, "p.remote")
        let (local, localPeer) = nodes[0].join(102)
        _ = try await nodes[0].mustRegister(local, localPeer, "p.local")
        let (caller, callerPeer) = nodes[0].join(101)

        server.stop()
        await eventually("node 1 notices") { !nodes[0].membership.connection.isConnected }
        try nodes[0].call(caller, "p.remote", request: 1)
        let errors = await callerPeer.wait("ERROR", \.errors)
        XCTAssertEqual(errors.map(\.error), [ErrorURI.clusterUnavailable])
        XCTAssertEqual(nodes[0].realm.dealer.pendingCallCount, 0)

        try nodes[0].call(caller, "p.local", request: 2)
        let invocations = await localPeer.wait("local INVOCATION", \.invocations)
        let invocation = try XCTUnwrap(invocations.first)
        try nodes[0].realm.dealer.yield(Yield(request: invocation.request, options: .emptyObject), from: local)
        let results = await callerPeer.wait("local RESULT", \.results)
        XCTAssertEqual(results.map(\.request), [2])

        let refused = await nodes[0].register(local, localPeer, "p.new", request: 9)
        XCTAssertNil(refused)
        XCTAssertEqual(localPeer.errors.last?.error, ErrorURI.clusterUnavailable)
    }

    func testPendingInvocationsFromOneNodeAreBounded() async throws {
        var limits = ClusterRPCLimits()
        limits.maxPendingInvocationsPerRemoteCaller = 2
        let nodes = try await makeNodes(2, limits: limits)
        let (callee, calleePeer) = nodes[1].join(201)
        _ = try await nodes[1].mustRegister(callee, calleePeer, "p.busy")
        let (first, firstPeer) = nodes[0].join(101)
        let (second, secondPeer) = nodes[0].join(102)
        try nodes[0].call(first, "p.busy", request: 1)
        try nodes[0].call(first, "p.busy", request: 2)
        await calleePeer.wait("two invocations", \.invocations, count: 2)
        try nodes[0].call(second, "p.busy", request: 1)
        let errors = await secondPeer.wait("ERROR", \.errors)
        XCTAssertEqual(errors.map(\.error), [ErrorURI.limitExceeded])
        XCTAssertTrue(firstPeer.errors.isEmpty)
        XCTAssertEqual(nodes[0].realm.dealer.pendingCallCount, 2)
    }

    func testDirectoryChangesInFlightAreBounded() async throws {
        var limits = ClusterRPCLimits()
        limits.maxDirectoryChangesInFlight = 0
        let nodes = try await makeNodes(1, limits: limits)
        let (callee, calleePeer) = nodes[0].join(101)
        let refused = await nodes[0].register(callee, calleePeer, "p.any")
        XCTAssertNil(refused)
        XCTAssertEqual(calleePeer.errors.map(\.error), [ErrorURI.limitExceeded])
    }

    func testARemoteCalleeForgottenAfterItsLastRegistrationAndCall() async throws {
        let nodes = try await makeNodes(2)
        let (callee, calleePeer) = nodes[1].join(201)
        let id = try await nodes[1].mustRegister(callee, calleePeer, "p.temporary")
        let (caller, callerPeer) = nodes[0].join(101)
        try nodes[0].call(caller, "p.temporary", request: 1)
        let invocations = await calleePeer.wait("INVOCATION", \.invocations)
        let invocation = try XCTUnwrap(invocations.first)
        nodes[1].realm.dealer.unregister(Unregister(request: 2, registration: id), from: callee)
        await calleePeer.wait("UNREGISTERED", \.unregistered)
        XCTAssertEqual(nodes[0].cluster.state.withLock { $0.remoteCallees.count }, 1, "kept while its call is pending")
        // The callee may still answer a call it had before it unregistered.
        try nodes[1].realm.dealer.yield(Yield(request: invocation.request, options: .emptyObject), from: callee)
        await callerPeer.wait("RESULT", \.results)
        await eventually("forgotten") { nodes[0].cluster.state.withLock { $0.remoteCallees.isEmpty } }
    }

    func testASessionThatLeavesWhileItsRegisterIsDecidedLeavesNoRegistrationBehind() async throws {
        let nodes = try await makeNodes(2)
        let (callee, _) = nodes[0].join(101)
        nodes[0].realm.dealer.register(Register(request: 1, options: .emptyObject, procedure: "p.brief"), from: callee)
        nodes[0].realm.leave(callee)
        try await assertDeletedFromTheDirectory("p.brief", on: nodes[0])
        XCTAssertNil(nodes[0].realm.dealer.lookup(procedure: "p.brief", match: .exact))
        XCTAssertNil(nodes[1].realm.dealer.lookup(procedure: "p.brief", match: .exact))
        XCTAssertTrue(nodes[0].cluster.state.withLock { $0.local.isEmpty })
    }

    func testANodeThatStartsAgainOnItsSlotRemovesTheCalleesOfItsEarlierLife() async throws {
        let nodes = try await makeNodes(2)
        let (callee, calleePeer) = nodes[0].join(101)
        let id = try await nodes[0].mustRegister(callee, calleePeer, "p.earlier")
        XCTAssertEqual(nodes[1].realm.dealer.calleeIDs(of: id), [101])
        // Slot 1 "crashed" (nothing was removed) and starts again with a fresh realm.
        await nodes[0].cluster.stop()
        let realm = Realm(name: "realm1")
        let restarted = ClusterDealer(realm: realm, membership: nodes[0].membership)
        try await restarted.start()
        XCTAssertNil(realm.dealer.calleeIDs(of: id))
        XCTAssertNil(nodes[1].realm.dealer.calleeIDs(of: id), "announced to the other nodes")
        await restarted.stop()
    }
}
