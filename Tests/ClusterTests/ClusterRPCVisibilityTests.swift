@testable import Cluster
import Foundation
import Realm
import WampMessages
import XCTest

/// How REGISTERED and UNREGISTERED wait until the other nodes route by the change: the
/// announcement, not the key-value watch, carries it to them in time.
final class ClusterRPCVisibilityTests: ClusterRPCTestCase {
    func testAnnouncementsAloneMakeANewCalleeReachableAndAGoneOneUnreachable() async throws {
        let nodes = try await makeNodes(2)
        // Node 2 learns nothing through its watch from now on.
        await nodes[1].cluster.state.withLock { $0.watcher }?.stop()
        let (callee, calleePeer) = nodes[0].join(101)
        let (caller, callerPeer) = nodes[1].join(201)
        let id = try await nodes[0].mustRegister(callee, calleePeer, "p.announced")
        try nodes[1].call(caller, "p.announced", request: 1)
        await calleePeer.wait("INVOCATION", \.invocations)
        nodes[0].realm.dealer.unregister(Unregister(request: 2, registration: id), from: callee)
        await calleePeer.wait("UNREGISTERED", \.unregistered)
        try nodes[1].call(caller, "p.announced", request: 2)
        XCTAssertEqual(callerPeer.errors.map(\.error), [ErrorURI.noSuchProcedure])
        XCTAssertEqual(nodes[0].cluster.unacknowledged.load(ordering: .relaxed), 0)
    }

    func testRegisteredWaitsForEveryLiveNodeUpToTheAckTimeout() async throws {
        var limits = ClusterRPCLimits()
        limits.ackTimeout = .milliseconds(300)
        let nodes = try await makeNodes(1, limits: limits)
        // A node the membership believes alive, that receives announcements and never answers.
        nodes[0].membership.declareAlive(9)
        let silent = try nodes[0].membership.connection.subscribe(ClusterSubjects(realm: "realm1").announcements(9)) { _ in }
        defer { nodes[0].membership.connection.unsubscribe(silent) }
        try await nodes[0].membership.connection.flush()
        let (callee, calleePeer) = nodes[0].join(101)
        let started = Date()
        _ = try await nodes[0].mustRegister(callee, calleePeer, "p.slow")
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(started), 0.3)
        XCTAssertEqual(nodes[0].cluster.unacknowledged.load(ordering: .relaxed), 1)
    }
}
