import Cluster
import NIOCore
import Realm
import WampMessages
import XCTest

/// Cross-node RPC: calls, registrations and their uniqueness across Realms that share one
/// nats-server, each through its own connection and `ClusterDealer`.
final class ClusterRPCTests: ClusterRPCTestCase {
    func testACallReachesACalleeOnAnotherNodeAndItsResultComesBackInTheCallersSerialization() async throws {
        let nodes = try await makeNodes(2)
        let (callee, calleePeer) = nodes[1].join(201, serialization: .msgpack)
        let registration = try await nodes[1].mustRegister(callee, calleePeer, "com.example.add")
        let (caller, callerPeer) = nodes[0].join(101, serialization: .json)
        try nodes[0].call(caller, "com.example.add", request: 7, args: "[2,3]", kwargs: #"{"x":"é"}"#)

        let invocations = await calleePeer.wait("INVOCATION", \.invocations)
        let invocation = try XCTUnwrap(invocations.first)
        XCTAssertEqual(invocation.registration, registration)
        XCTAssertEqual(invocation.payload.serialization, .msgpack)
        XCTAssertEqual(try invocation.payload.converted(to: .json).arguments?.description, "[2,3]")
        XCTAssertEqual(try invocation.payload.converted(to: .json).argumentsKw?.description, #"{"x":"é"}"#)
        try nodes[1].realm.dealer.yield(Yield(request: invocation.request, options: .emptyObject,
                                              payload: try Payload(arguments: RawJSON("[5]")!).converted(to: .msgpack)), from: callee)

        let results = await callerPeer.wait("RESULT", \.results)
        let result = try XCTUnwrap(results.first)
        XCTAssertEqual(result.request, 7)
        XCTAssertEqual(result.payload.arguments?.description, "[5]")
        XCTAssertEqual(nodes[0].realm.dealer.pendingCallCount, 0)
        XCTAssertEqual(nodes[1].realm.dealer.pendingCallCount, 0)
    }

    func testTheSameProcedureOnTwoNodesAtOnceIsRegisteredOnceAndTheOtherGetsProcedureAlreadyExists() async throws {
        let nodes = try await makeNodes(2)
        let (a, aPeer) = nodes[0].join(101)
        let (b, bPeer) = nodes[1].join(201)
        async let first = nodes[0].register(a, aPeer, "com.example.one")
        async let second = nodes[1].register(b, bPeer, "com.example.one")
        let outcomes = await [first, second]
        XCTAssertEqual(outcomes.compactMap { $0 }.count, 1, "exactly one REGISTER wins: \(outcomes)")
        let refused = (aPeer.errors + bPeer.errors).map(\.error)
        XCTAssertEqual(refused, [ErrorURI.procedureAlreadyExists])
        let id = try XCTUnwrap(outcomes.compactMap { $0 }.first)
        // One registration ID, and both nodes route to the winner.
        XCTAssertEqual(nodes[0].realm.dealer.lookup(procedure: "com.example.one", match: .exact), id)
        XCTAssertEqual(nodes[1].realm.dealer.lookup(procedure: "com.example.one", match: .exact), id)
    }

    func testASharedRegistrationSpansCalleesOnEveryNodeWithOneIDAndRoundRobinRotates() async throws {
        let nodes = try await makeNodes(3)
        let (c1, p1) = nodes[0].join(101)
        let (c2, p2) = nodes[1].join(201)
        let first = try await nodes[0].mustRegister(c1, p1, "com.example.shared", #"{"invoke":"roundrobin"}"#)
        let second = try await nodes[1].mustRegister(c2, p2, "com.example.shared", #"{"invoke":"roundrobin"}"#)
        XCTAssertEqual(first, second)
        // A different policy is refused as in a single router.
        let (c3, p3) = nodes[2].join(301)
        let third = await nodes[2].register(c3, p3, "com.example.shared", #"{"invoke":"first"}"#)
        XCTAssertNil(third)
        XCTAssertEqual(p3.errors.map(\.error), [ErrorURI.procedureAlreadyExists])
        XCTAssertEqual(nodes[2].realm.dealer.calleeIDs(of: first), [101, 201])

        let (caller, callerPeer) = nodes[2].join(302)
        for request in 1...4 { try nodes[2].call(caller, "com.example.shared", request: WampID(request)) }
        let atFirst = await p1.wait("two invocations on node 1", \.invocations, count: 2)
        let atSecond = await p2.wait("two invocations on node 2", \.invocations, count: 2)
        XCTAssertEqual(atFirst.count, 2)
        XCTAssertEqual(atSecond.count, 2)
        for invocation in atFirst { try nodes[0].realm.dealer.yield(Yield(request: invocation.request, options: .emptyObject), from: c1) }
        for invocation in atSecond { try nodes[1].realm.dealer.yield(Yield(request: invocation.request, options: .emptyObject), from: c2) }
        let results = await callerPeer.wait("four results", \.results, count: 4)
        XCTAssertEqual(Set(results.map(\.request)), [1, 2, 3, 4])
    }

    func testFirstAndLastFollowTheClusterWideRegistrationOrder() async throws {
        let nodes = try await makeNodes(2)
        let (c1, p1) = nodes[0].join(101)
        let (c2, p2) = nodes[1].join(201)
        _ = try await nodes[1].mustRegister(c2, p2, "p.first", #"{"invoke":"first"}"#)
        _ = try await nodes[0].mustRegister(c1, p1, "p.first", #"{"invoke":"first"}"#)
        _ = try await nodes[1].mustRegister(c2, p2, "p.last", #"{"invoke":"last"}"#, request: 2)
        _ = try await nodes[0].mustRegister(c1, p1, "p.last", #"{"invoke":"last"}"#, request: 2)
        let (caller, _) = nodes[0].join(102)
        try nodes[0].call(caller, "p.first", request: 1)
        try nodes[0].call(caller, "p.last", request: 2)
        let remote = await p2.wait("p.first on the first callee (node 2)", \.invocations)
        XCTAssertEqual(remote.count, 1)
        let local = await p1.wait("p.last on the last callee (node 1)", \.invocations)
        XCTAssertEqual(local.count, 1)
    }

    func testRegisteredIsAnsweredOnlyOnceTheOtherNodesRouteToTheNewCallee() async throws {
        let nodes = try await makeNodes(3)
        let (callee, calleePeer) = nodes[0].join(101)
        let (caller2, peer2) = nodes[1].join(201)
        let (caller3, peer3) = nodes[2].join(301)
        for round in 1...5 {
            let procedure = "com.example.visible\(round)"
            _ = try await nodes[0].mustRegister(callee, calleePeer, procedure, request: WampID(round))
            // The very next CALL on the other nodes, without waiting for anything else.
            try nodes[1].call(caller2, procedure, request: WampID(round))
            try nodes[2].call(caller3, procedure, request: WampID(round))
        }
        await calleePeer.wait("ten invocations", \.invocations, count: 10)
        XCTAssertTrue(peer2.errors.isEmpty, "\(peer2.errors.map(\.error))")
        XCTAssertTrue(peer3.errors.isEmpty, "\(peer3.errors.map(\.error))")
    }

    func testUnregisteredIsAnsweredOnlyOnceNoOtherNodeRoutesToTheOldCallee() async throws {
        let nodes = try await makeNodes(2)
        let (callee, calleePeer) = nodes[0].join(101)
        let (caller, callerPeer) = nodes[1].join(201)
        for round in 1...5 {
            let request = WampID(round)
            let id = try await nodes[0].mustRegister(callee, calleePeer, "com.example.gone", request: request * 10)
            nodes[0].realm.dealer.unregister(Unregister(request: request * 10 + 1, registration: id), from: callee)
            await calleePeer.wait("UNREGISTERED", { $0.unregistered.filter { $0.request == request * 10 + 1 } })
            try nodes[1].call(caller, "com.example.gone", request: request)
            let error = await callerPeer.wait("ERROR", { $0.errors.filter { $0.request == request } })
            XCTAssertEqual(error.first?.error, ErrorURI.noSuchProcedure)
        }
        XCTAssertTrue(calleePeer.invocations.isEmpty)
        // Deleted cluster-wide: another node can now create it.
        let (other, otherPeer) = nodes[1].join(202)
        _ = try await nodes[1].mustRegister(other, otherPeer, "com.example.gone")
    }

    func testACalleeThatLeavesIsRemovedFromEveryNode() async throws {
        let nodes = try await makeNodes(2)
        let (callee, calleePeer) = nodes[0].join(101)
        let id = try await nodes[0].mustRegister(callee, calleePeer, "com.example.leaves")
        XCTAssertEqual(nodes[1].realm.dealer.calleeIDs(of: id), [101])
        nodes[0].realm.leave(callee)
        let deadline = Date().addingTimeInterval(5)
        while nodes[1].realm.dealer.calleeIDs(of: id) != nil, Date() < deadline { try await Task.sleep(nanoseconds: 5_000_000) }
        XCTAssertNil(nodes[1].realm.dealer.calleeIDs(of: id))
        let (again, againPeer) = nodes[1].join(201)
        _ = try await nodes[1].mustRegister(again, againPeer, "com.example.leaves")
    }

    func testRevokingARemoteCalleeTellsItThroughItsNodeAndRemovesItEverywhere() async throws {
        let nodes = try await makeNodes(2)
        let (callee, calleePeer) = nodes[1].join(201)
        let id = try await nodes[1].mustRegister(callee, calleePeer, "p.revoked")
        XCTAssertTrue(nodes[0].realm.dealer.removeCallee(201, from: id, reason: "maintenance"))
        let revocations = await calleePeer.wait("UNREGISTERED", { $0.unregistered.filter { $0.request == 0 } })
        XCTAssertEqual(revocations.first?.details?.integer("registration"), Int64(id))
        XCTAssertEqual(revocations.first?.details?.string("reason"), "maintenance")
        let deadline = Date().addingTimeInterval(5)
        while nodes[1].realm.dealer.calleeIDs(of: id) != nil, Date() < deadline { try await Task.sleep(nanoseconds: 5_000_000) }
        XCTAssertNil(nodes[1].realm.dealer.calleeIDs(of: id))
        XCTAssertNil(nodes[0].realm.dealer.calleeIDs(of: id))
    }

    func testConcurrentSharedRegistrationsFromThreeNodesAllJoinOneRegistrationInOneOrder() async throws {
        let nodes = try await makeNodes(3)
        var sessions: [(RPCNode, RealmSession, RecordingPeer)] = []
        for (index, node) in nodes.enumerated() {
            for offset in 1...4 {
                let (session, peer) = node.join(WampID((index + 1) * 100 + offset))
                sessions.append((node, session, peer))
            }
        }
        let ids = await withTaskGroup(of: WampID?.self) { group in
            for (node, session, peer) in sessions {
                group.addTask { await node.register(session, peer, "p.crowd", #"{"invoke":"random"}"#) }
            }
            var ids: [WampID?] = []
            for await id in group { ids.append(id) }
            return ids
        }
        XCTAssertEqual(ids.compactMap { $0 }.count, 12, "\(sessions.flatMap { $0.2.errors.map(\.error) })")
        XCTAssertEqual(Set(ids.compactMap { $0 }).count, 1)
        let id = try XCTUnwrap(ids.first ?? nil)
        let orders = nodes.map { $0.realm.dealer.calleeIDs(of: id) ?? [] }
        XCTAssertEqual(Set(orders[0]), Set(sessions.map(\.1.id)))
        XCTAssertEqual(orders[1], orders[0])
        XCTAssertEqual(orders[2], orders[0])

        // random: calls from one node spread over callees on every node.
        let (caller, _) = nodes[0].join(199)
        for request in 1...60 { try nodes[0].call(caller, "p.crowd", request: WampID(request)) }
        let deadline = Date().addingTimeInterval(5)
        while sessions.reduce(0, { $0 + $1.2.invocations.count }) < 60, Date() < deadline { try await Task.sleep(nanoseconds: 5_000_000) }
        let perNode = (0..<3).map { index in sessions[(index * 4)..<(index * 4 + 4)].reduce(0) { $0 + $1.2.invocations.count } }
        XCTAssertEqual(perNode.reduce(0, +), 60)
        XCTAssertTrue(perNode.allSatisfy { $0 > 0 }, "\(perNode)")
    }
}
