import Foundation
import NIOCore
import Realm
import WampMessages
import XCTest

@testable import Cluster

/// The registration copy's side of bounded state: tombstones go after the grace, and keys a new
/// watch shows swept are dropped from the dealer.
final class ClusterDealerTombstoneTests: ClusterRPCTestCase {
    private func waitUntil(_ what: String, file: StaticString = #filePath, line: UInt = #line, _ condition: () -> Bool) async {
        let deadline = Date().addingTimeInterval(5)
        while !condition(), Date() < deadline { try? await Task.sleep(nanoseconds: 5_000_000) }
        XCTAssertTrue(condition(), "not within 5 s: \(what)", file: file, line: line)
    }

    func testTombstonesOfUnregisteredProceduresGoAfterTheGrace() async throws {
        var limits = ClusterRPCLimits()
        limits.tombstoneGrace = .zero
        let nodes = try await makeNodes(2, limits: limits)
        let (callee, calleePeer) = nodes[0].join(101)
        for index in 0..<10 { _ = try await nodes[0].mustRegister(callee, calleePeer, "p.gone.\(index)", request: WampID(index + 1)) }
        await waitUntil("node 2 knows the ten") { nodes[1].cluster.directoryCopyKeyCount == 10 }
        nodes[0].realm.leave(callee)
        let (other, otherPeer) = nodes[0].join(102)
        // Each deletion's tombstone expires at the next change; the last at the REGISTER after it.
        await waitUntil("node 2 applied the ten deletions") { nodes[1].realm.dealer.registrationCount == 0 }
        _ = try await nodes[0].mustRegister(other, otherPeer, "p.after", request: 50)
        await waitUntil("both copies hold p.after only") {
            nodes.allSatisfy { $0.cluster.directoryCopyKeyCount == 1 }
        }
    }

    func testAKeyMissingFromANewWatchIsDroppedFromTheDealer() async throws {
        let nodes = try await makeNodes(2)
        let (callee, calleePeer) = nodes[0].join(201)
        _ = try await nodes[0].mustRegister(callee, calleePeer, "p.swept")
        await waitUntil("node 2 knows it") { nodes[1].cluster.directoryCopyKeyCount == 1 }
        // Keys newer than the watch's start revision stay: they may not be delivered yet.
        nodes[1].cluster.forget(keysNotIn: [], upTo: 0)
        XCTAssertEqual(nodes[1].cluster.directoryCopyKeyCount, 1)
        let key = RegistrationRecord.key(realm: "realm1", procedure: "p.swept", match: .exact)
        nodes[1].cluster.forget(keysNotIn: [key], upTo: .max)
        XCTAssertEqual(nodes[1].cluster.directoryCopyKeyCount, 1, "a delivered key stays")
        nodes[1].cluster.forget(keysNotIn: [], upTo: .max)
        XCTAssertEqual(nodes[1].cluster.directoryCopyKeyCount, 0)
        let (caller, callerPeer) = nodes[1].join(202)
        try nodes[1].call(caller, "p.swept", request: 9)
        await waitUntil("an ERROR") { !callerPeer.errors.isEmpty }
        XCTAssertEqual(callerPeer.errors.first?.error, "wamp.error.no_such_procedure", "the dealer dropped it with the copy")
    }
}
