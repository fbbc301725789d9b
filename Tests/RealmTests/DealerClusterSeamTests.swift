import Realm
import Synchronization
import WampMessages
import XCTest

/// The dealer's seam for a cluster (`DealerCluster`), without NATS: a cluster stand-in that holds
/// its answers until the test releases them.
final class DealerClusterSeamTests: XCTestCase {
    final class HeldCluster: DealerCluster {
        let registers = Mutex<[(ClusterRegisterRequest, @Sendable (ClusterRegisterOutcome) -> Void)]>([])
        let unregisters = Mutex<[(WampID, @Sendable (ClusterUnregisterOutcome) -> Void)]>([])
        let removals = Mutex<[(WampID, [WampID], Bool)]>([])

        func register(_ request: ClusterRegisterRequest, completion: @escaping @Sendable (ClusterRegisterOutcome) -> Void) {
            registers.withLock { $0.append((request, completion)) }
        }
        func unregister(session: RealmSession, registration: WampID, completion: @escaping @Sendable (ClusterUnregisterOutcome) -> Void) {
            unregisters.withLock { $0.append((registration, completion)) }
        }
        func calleeRemoved(_ sessionID: WampID, from registrations: [WampID], sessionLeft: Bool) {
            removals.withLock { $0.append((sessionID, registrations, sessionLeft)) }
        }
    }

    static let callee = #"{"callee":{"features":{"call_canceling":true,"progressive_call_invocations":true}}}"#

    private func session(_ id: WampID, roles: String = callee) -> (RealmSession, FakePeer) {
        let peer = FakePeer()
        return (RealmSession(id: id, peer: peer, authid: "u\(id)", roles: JSONValue.parse(roles)), peer)
    }

    private func snapshot(_ id: WampID, _ procedure: String, match: MatchPolicy = .exact, invoke: InvokePolicy = .single,
                          _ callees: [RealmSession]) -> ClusterRegistrationSnapshot {
        ClusterRegistrationSnapshot(id: id, procedure: procedure, match: match, invoke: invoke, discloseCaller: false,
                                    created: "2026-01-01T00:00:00.000Z", callees: callees)
    }

    func testRegisterIsAnsweredOnlyWhenTheClusterCompletesIt() {
        let dealer = Dealer(uris: URIValidator())
        let cluster = HeldCluster()
        dealer.attachCluster(cluster)
        let (callee, peer) = session(1)
        dealer.register(Register(request: 5, options: JSONValue.parse(#"{"invoke":"roundrobin"}"#)!, procedure: "p"), from: callee)
        XCTAssertTrue(peer.messages.isEmpty)
        let (request, completion) = cluster.registers.withLock { $0[0] }
        XCTAssertEqual(request.procedure, "p")
        XCTAssertEqual(request.invoke, .roundrobin)
        dealer.applyClusterRegistration(snapshot(77, "p", invoke: .roundrobin, [callee]))
        completion(.registered(77, created: true))
        guard case .registered(let registered)? = peer.last else { return XCTFail("\(peer.messages)") }
        XCTAssertEqual(registered.request, 5)
        XCTAssertEqual(registered.registration, 77)
        // Refused by the cluster: ERROR with its URI; invalid options never reach it.
        dealer.register(Register(request: 6, options: .emptyObject, procedure: "q"), from: callee)
        cluster.registers.withLock { $0[1] }.1(.refused(uri: ErrorURI.procedureAlreadyExists, message: "taken"))
        guard case .error(let error)? = peer.last else { return XCTFail() }
        XCTAssertEqual(error.error, ErrorURI.procedureAlreadyExists)
        dealer.register(Register(request: 7, options: JSONValue.parse(#"{"match":"nope"}"#)!, procedure: "r"), from: callee)
        XCTAssertEqual(cluster.registers.withLock { $0.count }, 2)
    }

    func testUnregisterAndLeavingGoThroughTheCluster() {
        let dealer = Dealer(uris: URIValidator())
        let cluster = HeldCluster()
        dealer.attachCluster(cluster)
        let (callee, peer) = session(1)
        dealer.applyClusterRegistration(snapshot(77, "p", [callee]))
        dealer.unregister(Unregister(request: 3, registration: 99), from: callee)
        guard case .error(let error)? = peer.last else { return XCTFail() }
        XCTAssertEqual(error.error, ErrorURI.noSuchRegistration)
        dealer.unregister(Unregister(request: 4, registration: 77), from: callee)
        XCTAssertEqual(cluster.unregisters.withLock { $0.map(\.0) }, [77])
        cluster.unregisters.withLock { $0[0] }.1(.unregistered(deleted: true))
        guard case .unregistered(let unregistered)? = peer.last else { return XCTFail() }
        XCTAssertEqual(unregistered.request, 4)
        dealer.removeSession(1)
        XCTAssertEqual(cluster.removals.withLock { $0.map(\.0) }, [1])
        XCTAssertEqual(cluster.removals.withLock { $0.map(\.2) }, [true])
    }

    func testAppliedRegistrationsReplaceDeleteAndIndexPatterns() throws {
        let dealer = Dealer(uris: URIValidator())
        let (a, _) = session(1)
        let (b, _) = session(2)
        dealer.applyClusterRegistration(snapshot(10, "com.x", match: .prefix, invoke: .first, [a]))
        XCTAssertEqual(dealer.bestMatch(procedure: "com.x.y"), 10)
        dealer.applyClusterRegistration(snapshot(10, "com.x", match: .prefix, invoke: .first, [b, a]))
        XCTAssertEqual(dealer.calleeIDs(of: 10), [2, 1])
        // A stale copy under another ID for the same URI and policy gives way.
        dealer.applyClusterRegistration(snapshot(11, "com.x", match: .prefix, invoke: .first, [a]))
        XCTAssertNil(dealer.calleeIDs(of: 10))
        XCTAssertEqual(dealer.lookup(procedure: "com.x", match: .prefix), 11)
        dealer.applyClusterRegistration(snapshot(11, "com.x", match: .prefix, invoke: .first, []))
        XCTAssertNil(dealer.bestMatch(procedure: "com.x.y"))
        XCTAssertEqual(dealer.registrationCount, 0)
    }

    func testInvokeChosenRoutesToThatCalleeBoundsItAndRefusesAGoneOne() {
        let dealer = Dealer(uris: URIValidator())
        let (a, aPeer) = session(1)
        let (b, bPeer) = session(2)
        dealer.applyClusterRegistration(snapshot(10, "p", invoke: .first, [a, b]))
        let (remote, remotePeer) = session(1 << 60, roles: "{}")
        dealer.invokeChosen(callRequest: 1, calleeID: 2, registration: 10, details: .emptyObject, payload: .empty,
                            maxPending: 1, from: remote)
        XCTAssertTrue(aPeer.messages.isEmpty, "the node that chose decides, not the invoke policy here")
        guard case .invocation(let invocation)? = bPeer.last else { return XCTFail("\(bPeer.messages)") }
        dealer.invokeChosen(callRequest: 2, calleeID: 2, registration: 10, details: .emptyObject, payload: .empty,
                            maxPending: 1, from: remote)
        guard case .error(let limit)? = remotePeer.last else { return XCTFail() }
        XCTAssertEqual(limit.error, ErrorURI.limitExceeded)
        dealer.invokeChosen(callRequest: 3, calleeID: 3, registration: 10, details: .emptyObject, payload: .empty,
                            maxPending: 5, from: remote)
        guard case .error(let gone)? = remotePeer.last else { return XCTFail() }
        XCTAssertEqual(gone.error, ErrorURI.noSuchProcedure)
        // The caller node's timeout reaches the callee with its reason.
        dealer.cancelFromCluster(callRequest: 1, mode: .killnowait, reason: ErrorURI.timeout, from: remote)
        guard case .interrupt(let interrupt)? = bPeer.last else { return XCTFail() }
        XCTAssertEqual(interrupt.request, invocation.request)
        XCTAssertEqual(interrupt.options.string("reason"), ErrorURI.timeout)
        XCTAssertEqual(dealer.pendingCallCount, 0)
    }
}
