import XCTest
import Realm
import WampMessages

/// Advanced Profile RPC features of the dealer, with fake peers and a manual clock.
final class DealerAdvancedTests: XCTestCase {
    private var realm: Realm!
    private var clock: ManualScheduler!

    static let everything = #"{"caller":{"features":{"progressive_call_results":true,"progressive_call_invocations":true,"call_canceling":true}},"callee":{"features":{"progressive_call_results":true,"progressive_call_invocations":true,"call_canceling":true,"registration_revocation":true}}}"#
    static let basic = #"{"caller":{},"callee":{}}"#

    override func setUp() {
        clock = ManualScheduler()
        realm = Realm(name: "realm1", scheduler: clock)
    }

    private func join(_ id: WampID, roles: String = everything, authid: String? = nil) -> (RealmSession, FakePeer) {
        let peer = FakePeer()
        let session = RealmSession(id: id, peer: peer, authid: authid ?? "user-\(id)", authrole: "role-\(id)", roles: JSONValue.parse(roles))
        realm.join(session)
        return (session, peer)
    }

    @discardableResult
    private func register(_ session: RealmSession, _ peer: FakePeer, _ procedure: String, _ options: String = "{}", request: WampID = 1) -> WampID? {
        realm.dealer.register(Register(request: request, options: JSONValue.parse(options)!, procedure: procedure), from: session)
        guard case .registered(let registered) = peer.last else { return nil }
        return registered.registration
    }

    private func call(_ session: RealmSession, _ procedure: String, _ options: String = "{}", request: WampID = 1, args: String? = nil) throws {
        try realm.dealer.call(Call(request: request, options: JSONValue.parse(options)!, procedure: procedure,
                                   payload: Payload(arguments: args.map { RawJSON($0)! })), from: session)
    }

    private func invocations(_ peer: FakePeer) -> [Invocation] {
        peer.messages.compactMap { if case .invocation(let m) = $0 { m } else { nil } }
    }

    private func interrupts(_ peer: FakePeer) -> [Interrupt] {
        peer.messages.compactMap { if case .interrupt(let m) = $0 { m } else { nil } }
    }

    private func errors(_ peer: FakePeer) -> [ErrorMessage] {
        peer.messages.compactMap { if case .error(let m) = $0 { m } else { nil } }
    }

    private func results(_ peer: FakePeer) -> [Result] {
        peer.messages.compactMap { if case .result(let m) = $0 { m } else { nil } }
    }

    // MARK: progressive_call_results

    func testProgressiveResultsAreRelayedAtOnceAndTheFinalOneEndsTheCall() throws {
        let (callee, calleePeer) = join(1)
        let (caller, callerPeer) = join(2)
        register(callee, calleePeer, "p")
        try call(caller, "p", #"{"receive_progress":true}"#, request: 9)
        let invocation = try XCTUnwrap(invocations(calleePeer).last)
        XCTAssertEqual(invocation.details.bool("receive_progress"), true)
        for i in 1...3 {
            try realm.dealer.yield(Yield(request: invocation.request, options: JSONValue.parse(#"{"progress":true}"#)!, payload: Payload(arguments: RawJSON("[\(i)]"))), from: callee)
        }
        try realm.dealer.yield(Yield(request: invocation.request, options: .emptyObject, payload: Payload(arguments: RawJSON("[\"done\"]"))), from: callee)
        let received = results(callerPeer)
        XCTAssertEqual(received.map(\.request), [9, 9, 9, 9])
        XCTAssertEqual(received.map { $0.details.bool("progress") }, [true, true, true, nil])
        XCTAssertEqual(received.map { $0.payload.arguments!.description }, ["[1]", "[2]", "[3]", "[\"done\"]"])
        XCTAssertEqual(realm.dealer.pendingCallCount, 0)
    }

    func testReceiveProgressIsNotForwardedToACalleeWithoutTheFeature() throws {
        let (callee, calleePeer) = join(1, roles: Self.basic)
        let (caller, callerPeer) = join(2)
        register(callee, calleePeer, "p")
        try call(caller, "p", #"{"receive_progress":true}"#)
        let invocation = try XCTUnwrap(invocations(calleePeer).last)
        XCTAssertNil(invocation.details.bool("receive_progress"))
        try realm.dealer.yield(Yield(request: invocation.request, options: JSONValue.parse(#"{"progress":true}"#)!), from: callee)
        XCTAssertTrue(results(callerPeer).isEmpty, "unrequested progress is discarded")
        XCTAssertEqual(realm.dealer.pendingCallCount, 1)
    }

    // MARK: progressive_call_invocations

    func testProgressiveInvocationsUseOneRequestIDAndTheLastChunkEndsTheStream() throws {
        let (callee, calleePeer) = join(1)
        let (caller, callerPeer) = join(2)
        register(callee, calleePeer, "upload")
        try call(caller, "upload", #"{"progress":true}"#, request: 5, args: "[1]")
        try call(caller, "upload", #"{"progress":true}"#, request: 5, args: "[2]")
        try call(caller, "upload", "{}", request: 5, args: "[3]")
        let chunks = invocations(calleePeer)
        XCTAssertEqual(chunks.count, 3)
        XCTAssertEqual(Set(chunks.map(\.request)).count, 1)
        XCTAssertEqual(chunks.map { $0.details.bool("progress") }, [true, true, nil])
        XCTAssertEqual(chunks.map { $0.payload.arguments!.description }, ["[1]", "[2]", "[3]"])
        XCTAssertThrowsError(try call(caller, "upload", "{}", request: 5), "the stream ended; reusing the ID while pending is a violation")
        try realm.dealer.yield(Yield(request: chunks[0].request, options: .emptyObject), from: callee)
        XCTAssertEqual(results(callerPeer).map(\.request), [5])
        try call(caller, "upload", #"{"progress":true}"#, request: 5)
        XCTAssertEqual(invocations(calleePeer).count, 4, "a finished call's ID may be used again: it starts a new call")
    }

    func testReusedRequestIDAfterAFinishedCallGetsAnAnswer() throws {
        let (callee, calleePeer) = join(1)
        let (caller, callerPeer) = join(2)
        register(callee, calleePeer, "p")
        for round in 1...3 {
            try call(caller, "p", request: 7, args: "[\(round)]")
            let invocation = try XCTUnwrap(invocations(calleePeer).last)
            XCTAssertEqual(invocation.payload.arguments?.description, "[\(round)]")
            try realm.dealer.yield(Yield(request: invocation.request, options: .emptyObject), from: callee)
        }
        XCTAssertEqual(results(callerPeer).map(\.request), [7, 7, 7], "every reuse of a finished call's ID got its RESULT")
        try call(caller, "missing", request: 7)
        XCTAssertEqual(errors(callerPeer).last?.error, ErrorURI.noSuchProcedure)
    }

    func testLateChunksOfACanceledStreamAreDiscardedUntilTheFinalOne() throws {
        let (callee, calleePeer) = join(1)
        let (caller, callerPeer) = join(2)
        register(callee, calleePeer, "upload")
        try call(caller, "upload", #"{"progress":true}"#, request: 5, args: "[1]")
        realm.dealer.cancel(Cancel(request: 5, options: JSONValue.parse(#"{"mode":"skip"}"#)!), from: caller)
        XCTAssertEqual(errors(callerPeer).last?.error, ErrorURI.canceled)
        try call(caller, "upload", #"{"progress":true}"#, request: 5, args: "[2]")
        try call(caller, "upload", "{}", request: 5, args: "[3]")
        XCTAssertEqual(invocations(calleePeer).count, 1, "chunks of the canceled stream never reach the callee")
        try call(caller, "upload", "{}", request: 5, args: "[9]")
        XCTAssertEqual(invocations(calleePeer).last?.payload.arguments?.description, "[9]", "after the final chunk the ID is free")
    }

    func testMalformedPassthruOptionsAreRefusedOnCallAndYield() throws {
        let (callee, calleePeer) = join(1, roles: Self.passthru)
        let (caller, callerPeer) = join(2, roles: Self.passthru)
        register(callee, calleePeer, "p")
        try call(caller, "p", #"{"ppt_scheme":"x_custom","ppt_serializer":42}"#, request: 1)
        XCTAssertEqual(errors(callerPeer).last?.error, ErrorURI.invalidArgument)
        try call(caller, "p", #"{"ppt_serializer":"cbor"}"#, request: 2)
        XCTAssertEqual(errors(callerPeer).last?.error, ErrorURI.invalidArgument, "ppt_scheme is required")
        XCTAssertTrue(invocations(calleePeer).isEmpty)
        try call(caller, "p", Self.pptOptions, request: 3)
        let invocation = try XCTUnwrap(invocations(calleePeer).last)
        try realm.dealer.yield(Yield(request: invocation.request, options: JSONValue.parse(#"{"ppt_scheme":["x"]}"#)!), from: callee)
        XCTAssertEqual(errors(calleePeer).last?.error, ErrorURI.invalidArgument)
        XCTAssertEqual(errors(callerPeer).last?.request, 3)
        XCTAssertEqual(errors(callerPeer).last?.error, ErrorURI.invalidArgument, "the caller is answered, never left waiting")
        XCTAssertEqual(realm.dealer.pendingCallCount, 0)
    }

    func testProgressiveCallFromACallerThatDidNotAnnounceItIsAViolation() {
        let (callee, calleePeer) = join(1)
        let (caller, _) = join(2, roles: Self.basic)
        register(callee, calleePeer, "upload")
        XCTAssertThrowsError(try call(caller, "upload", #"{"progress":true}"#))
    }

    func testProgressiveCallToACalleeWithoutTheFeatureIsFeatureNotSupported() throws {
        let (callee, calleePeer) = join(1, roles: Self.basic)
        let (caller, callerPeer) = join(2)
        register(callee, calleePeer, "upload")
        try call(caller, "upload", #"{"progress":true}"#)
        XCTAssertEqual(errors(callerPeer).last?.error, "wamp.error.feature_not_supported")
        XCTAssertTrue(invocations(calleePeer).isEmpty)
    }

    // MARK: call_canceling

    func testCancelSkipAnswersTheCallerAtOnceWithoutInterrupt() throws {
        let (callee, calleePeer) = join(1)
        let (caller, callerPeer) = join(2)
        register(callee, calleePeer, "p")
        try call(caller, "p", request: 3)
        realm.dealer.cancel(Cancel(request: 3, options: JSONValue.parse(#"{"mode":"skip"}"#)!), from: caller)
        XCTAssertEqual(errors(callerPeer).map(\.error), ["wamp.error.canceled"])
        XCTAssertEqual(errors(callerPeer).first?.request, 3)
        XCTAssertTrue(interrupts(calleePeer).isEmpty)
        let invocation = try XCTUnwrap(invocations(calleePeer).last)
        XCTAssertFalse(try realm.dealer.yield(Yield(request: invocation.request, options: .emptyObject), from: callee), "late YIELD discarded")
        XCTAssertTrue(results(callerPeer).isEmpty)
    }

    func testCancelKillInterruptsAndTheCallerGetsTheCalleesAnswer() throws {
        let (callee, calleePeer) = join(1)
        let (caller, callerPeer) = join(2)
        register(callee, calleePeer, "p")
        try call(caller, "p", request: 3)
        let invocation = try XCTUnwrap(invocations(calleePeer).last)
        realm.dealer.cancel(Cancel(request: 3, options: JSONValue.parse(#"{"mode":"kill"}"#)!), from: caller)
        XCTAssertEqual(interrupts(calleePeer).map(\.request), [invocation.request])
        XCTAssertEqual(interrupts(calleePeer).first?.options.string("mode"), "kill")
        XCTAssertTrue(errors(callerPeer).isEmpty, "kill waits for the callee")
        realm.dealer.invocationError(ErrorMessage(requestType: .invocation, request: invocation.request, details: .emptyObject, error: "wamp.error.canceled"), from: callee)
        XCTAssertEqual(errors(callerPeer).map(\.error), ["wamp.error.canceled"])
        XCTAssertEqual(realm.dealer.pendingCallCount, 0)
    }

    func testCancelKillNoWaitAnswersAtOnceAndInterrupts() throws {
        let (callee, calleePeer) = join(1)
        let (caller, callerPeer) = join(2)
        register(callee, calleePeer, "p")
        try call(caller, "p", request: 3)
        realm.dealer.cancel(Cancel(request: 3, options: .emptyObject), from: caller)
        XCTAssertEqual(errors(callerPeer).map(\.error), ["wamp.error.canceled"])
        XCTAssertEqual(interrupts(calleePeer).first?.options.string("mode"), "killnowait")
        XCTAssertEqual(realm.dealer.pendingCallCount, 0)
    }

    func testCancelTowardsACalleeWithoutCancelingBehavesAsSkip() throws {
        let (callee, calleePeer) = join(1, roles: Self.basic)
        let (caller, callerPeer) = join(2)
        register(callee, calleePeer, "p")
        try call(caller, "p", request: 3)
        realm.dealer.cancel(Cancel(request: 3, options: JSONValue.parse(#"{"mode":"kill"}"#)!), from: caller)
        XCTAssertEqual(errors(callerPeer).map(\.error), ["wamp.error.canceled"])
        XCTAssertTrue(interrupts(calleePeer).isEmpty)
    }

    func testCancelOfAFinishedCallIsIgnored() throws {
        let (callee, calleePeer) = join(1)
        let (caller, callerPeer) = join(2)
        register(callee, calleePeer, "p")
        try call(caller, "p", request: 3)
        try realm.dealer.yield(Yield(request: try XCTUnwrap(invocations(calleePeer).last).request, options: .emptyObject), from: callee)
        realm.dealer.cancel(Cancel(request: 3, options: .emptyObject), from: caller)
        XCTAssertTrue(errors(callerPeer).isEmpty)
        XCTAssertTrue(interrupts(calleePeer).isEmpty)
        XCTAssertEqual(results(callerPeer).count, 1)
    }

    func testUnknownCancelModeIsInvalidArgument() throws {
        let (callee, calleePeer) = join(1)
        let (caller, callerPeer) = join(2)
        register(callee, calleePeer, "p")
        try call(caller, "p", request: 3)
        realm.dealer.cancel(Cancel(request: 3, options: JSONValue.parse(#"{"mode":"now"}"#)!), from: caller)
        XCTAssertEqual(errors(callerPeer).first?.error, "wamp.error.invalid_argument")
        XCTAssertEqual(errors(callerPeer).first?.requestType, .cancel)
        XCTAssertEqual(realm.dealer.pendingCallCount, 1)
    }

    // MARK: call_timeout

    func testTimeoutAnswersTheCallerAndInterruptsTheCallee() throws {
        let (callee, calleePeer) = join(1)
        let (caller, callerPeer) = join(2)
        register(callee, calleePeer, "p")
        try call(caller, "p", #"{"timeout":250}"#, request: 4)
        XCTAssertEqual(clock.scheduledDelays, [250])
        clock.fireAll()
        XCTAssertEqual(errors(callerPeer).map(\.error), ["wamp.error.timeout"])
        XCTAssertEqual(errors(callerPeer).first?.request, 4)
        XCTAssertEqual(interrupts(calleePeer).first?.options.string("mode"), "killnowait")
        XCTAssertEqual(realm.dealer.pendingCallCount, 0)
    }

    func testAnsweredCallCancelsItsTimer() throws {
        let (callee, calleePeer) = join(1)
        let (caller, callerPeer) = join(2)
        register(callee, calleePeer, "p")
        try call(caller, "p", #"{"timeout":250}"#, request: 4)
        try realm.dealer.yield(Yield(request: try XCTUnwrap(invocations(calleePeer).last).request, options: .emptyObject), from: callee)
        XCTAssertEqual(clock.activeCount, 0)
        clock.fireAll()
        XCTAssertTrue(errors(callerPeer).isEmpty)
        XCTAssertEqual(results(callerPeer).count, 1)
    }

    // MARK: caller_identification

    func testDiscloseMeAddsCallerIdentity() throws {
        let (callee, calleePeer) = join(1)
        let (caller, _) = join(2, authid: "alice")
        register(callee, calleePeer, "p")
        try call(caller, "p", #"{"disclose_me":true}"#)
        let details = try XCTUnwrap(invocations(calleePeer).last).details
        XCTAssertEqual(details.integer("caller"), 2)
        XCTAssertEqual(details.string("caller_authid"), "alice")
        XCTAssertEqual(details.string("caller_authrole"), "role-2")
        try call(caller, "p", request: 2)
        XCTAssertNil(try XCTUnwrap(invocations(calleePeer).last).details.integer("caller"), "not disclosed unless asked")
    }

    func testDiscloseCallerOnRegistration() throws {
        let (callee, calleePeer) = join(1)
        let (caller, _) = join(2)
        register(callee, calleePeer, "p", #"{"disclose_caller":true}"#)
        try call(caller, "p")
        XCTAssertEqual(try XCTUnwrap(invocations(calleePeer).last).details.integer("caller"), 2)
    }

    // MARK: pattern_based_registration

    func testPatternRegistrationsAndSpecPrecedence() throws {
        let (exactCallee, exactPeer) = join(1)
        let (prefixCallee, prefixPeer) = join(2)
        let (longPrefixCallee, longPrefixPeer) = join(3)
        let (wildcardCallee, wildcardPeer) = join(4)
        let (caller, callerPeer) = join(5)
        register(exactCallee, exactPeer, "a1.b2.c3.d4.e55")
        register(prefixCallee, prefixPeer, "a1.b2", #"{"match":"prefix"}"#)
        register(longPrefixCallee, longPrefixPeer, "a1.b2.c3", #"{"match":"prefix"}"#)
        register(wildcardCallee, wildcardPeer, "a1..c3.d4", #"{"match":"wildcard"}"#)

        try call(caller, "a1.b2.c3.d4.e55", request: 1)
        XCTAssertEqual(invocations(exactPeer).count, 1)
        XCTAssertNil(invocations(exactPeer).last?.details.string("procedure"))
        try call(caller, "a1.b2.c3.d98.e74", request: 2)
        XCTAssertEqual(invocations(longPrefixPeer).last?.details.string("procedure"), "a1.b2.c3.d98.e74")
        try call(caller, "a1.b2.c4", request: 3)
        XCTAssertEqual(invocations(prefixPeer).last?.details.string("procedure"), "a1.b2.c4")
        try call(caller, "a1.x.c3.d4", request: 4)
        XCTAssertEqual(invocations(wildcardPeer).last?.details.string("procedure"), "a1.x.c3.d4")
        try call(caller, "z.b2", request: 5)
        XCTAssertEqual(errors(callerPeer).last?.error, "wamp.error.no_such_procedure")
    }

    func testAPatternRegistrationThatGoesStopsMatchingAndTheNextBestTakesOver() throws {
        let (shortPrefix, shortPeer) = join(1)
        let (longPrefix, longPeer) = join(2)
        let (wildcardCallee, wildcardPeer) = join(3)
        let (caller, callerPeer) = join(4)
        register(shortPrefix, shortPeer, "a1.b", #"{"match":"prefix"}"#)
        register(longPrefix, longPeer, "a1.b2", #"{"match":"prefix"}"#)
        register(wildcardCallee, wildcardPeer, ".b2c", #"{"match":"wildcard"}"#)
        for id in 1...500 { register(wildcardCallee, wildcardPeer, "x\(id).", #"{"match":"wildcard"}"#, request: WampID(id + 1)) }

        try call(caller, "a1.b2c", request: 1)
        XCTAssertEqual(invocations(longPeer).count, 1, "the longer prefix, though it ends inside a component")
        realm.leave(longPrefix)
        try call(caller, "a1.b2c", request: 2)
        XCTAssertEqual(invocations(shortPeer).count, 1)
        realm.leave(shortPrefix)
        try call(caller, "a1.b2c", request: 3)
        XCTAssertEqual(invocations(wildcardPeer).map(\.details).compactMap { $0.string("procedure") }, ["a1.b2c"])
        realm.leave(wildcardCallee)
        try call(caller, "a1.b2c", request: 4)
        XCTAssertEqual(errors(callerPeer).last?.error, "wamp.error.no_such_procedure")
        // A pattern registered again after it went is found again.
        let (again, againPeer) = join(5)
        register(again, againPeer, "a1.b2", #"{"match":"prefix"}"#)
        try call(caller, "a1.b2c", request: 5)
        XCTAssertEqual(invocations(againPeer).count, 1)
    }

    func testUnknownMatchPolicyIsInvalidArgument() {
        let (callee, peer) = join(1)
        XCTAssertNil(register(callee, peer, "a", #"{"match":"regex"}"#))
        guard case .error(let error) = peer.last else { return XCTFail() }
        XCTAssertEqual(error.error, "wamp.error.invalid_argument")
    }

    // MARK: shared_registration

    func testRoundRobinRotatesAndALeavingCalleeDropsOut() throws {
        var peers: [FakePeer] = []
        var sessions: [RealmSession] = []
        var registrationIDs: Set<WampID> = []
        for id in 1...3 as ClosedRange<WampID> {
            let (session, peer) = join(id)
            registrationIDs.insert(try XCTUnwrap(register(session, peer, "shared", #"{"invoke":"roundrobin"}"#)))
            peers.append(peer)
            sessions.append(session)
        }
        XCTAssertEqual(registrationIDs.count, 1, "callees share one registration")
        let (caller, _) = join(9)
        for request in 1...6 as ClosedRange<WampID> { try call(caller, "shared", request: request) }
        XCTAssertEqual(peers.map { invocations($0).count }, [2, 2, 2])
        realm.leave(sessions[1])
        for request in 7...10 as ClosedRange<WampID> { try call(caller, "shared", request: request) }
        XCTAssertEqual(invocations(peers[1]).count, 2)
        XCTAssertEqual(invocations(peers[0]).count + invocations(peers[2]).count, 8)
    }

    func testFirstLastAndRandomPolicies() throws {
        for (policy, expected) in [("first", [3, 0]), ("last", [0, 3])] {
            setUp()
            let (a, peerA) = join(1)
            let (b, peerB) = join(2)
            register(a, peerA, "p", #"{"invoke":"\#(policy)"}"#)
            register(b, peerB, "p", #"{"invoke":"\#(policy)"}"#)
            let (caller, _) = join(3)
            for request in 1...3 as ClosedRange<WampID> { try call(caller, "p", request: request) }
            XCTAssertEqual([invocations(peerA).count, invocations(peerB).count], expected, policy)
        }
        setUp()
        let (a, peerA) = join(1)
        let (b, peerB) = join(2)
        register(a, peerA, "p", #"{"invoke":"random"}"#)
        register(b, peerB, "p", #"{"invoke":"random"}"#)
        let (caller, _) = join(3)
        for request in 1...200 as ClosedRange<WampID> { try call(caller, "p", request: request) }
        XCTAssertEqual(invocations(peerA).count + invocations(peerB).count, 200)
        XCTAssertGreaterThan(invocations(peerA).count, 0)
        XCTAssertGreaterThan(invocations(peerB).count, 0)
    }

    func testDifferentPolicyOrSingleFailsWithProcedureAlreadyExists() {
        let (a, peerA) = join(1)
        let (b, peerB) = join(2)
        register(a, peerA, "p", #"{"invoke":"roundrobin"}"#)
        XCTAssertNil(register(b, peerB, "p", #"{"invoke":"random"}"#))
        guard case .error(let error) = peerB.last else { return XCTFail() }
        XCTAssertEqual(error.error, "wamp.error.procedure_already_exists")
        register(a, peerA, "q")
        XCTAssertNil(register(b, peerB, "q"))
        XCTAssertNil(register(a, peerA, "p", #"{"invoke":"roundrobin"}"#, request: 3), "a session cannot join its own registration twice")
    }

    // MARK: registration_revocation

    func testRevocationTellsACalleeThatAnnouncedIt() throws {
        let (callee, calleePeer) = join(1)
        let registration = try XCTUnwrap(register(callee, calleePeer, "p"))
        XCTAssertTrue(realm.dealer.removeCallee(1, from: registration, reason: "moving"))
        XCTAssertEqual(calleePeer.texts.last, #"[67,0,{"registration":\#(registration),"reason":"moving"}]"#)
        XCTAssertEqual(realm.dealer.registrationCount, 0)
        XCTAssertFalse(realm.dealer.removeCallee(1, from: registration, reason: nil))

        let (basic, basicPeer) = join(2, roles: Self.basic)
        let other = try XCTUnwrap(register(basic, basicPeer, "q"))
        basicPeer.clear()
        XCTAssertTrue(realm.dealer.removeCallee(2, from: other, reason: nil))
        XCTAssertTrue(basicPeer.messages.isEmpty, "no UNREGISTERED to a callee that did not announce revocation")
    }

    // MARK: leaving and passthru

    func testCallerLeavingInterruptsACalleeThatSupportsCanceling() throws {
        let (callee, calleePeer) = join(1)
        let (caller, _) = join(2)
        register(callee, calleePeer, "p")
        try call(caller, "p")
        realm.leave(caller)
        XCTAssertEqual(interrupts(calleePeer).first?.options.string("mode"), "killnowait")
        XCTAssertEqual(realm.dealer.pendingCallCount, 0)
    }

    static let passthru = #"{"caller":{"features":{"payload_passthru_mode":true}},"callee":{"features":{"payload_passthru_mode":true}}}"#
    static let pptOptions = #"{"ppt_scheme":"x_custom","ppt_serializer":"cbor"}"#

    func testPayloadPassthruOptionsTravelUntouched() throws {
        let (callee, calleePeer) = join(1, roles: Self.passthru)
        let (caller, callerPeer) = join(2, roles: Self.passthru)
        register(callee, calleePeer, "p")
        try call(caller, "p", #"{"ppt_scheme":"x_custom","ppt_serializer":"cbor","ppt_cipher":"xsalsa20poly1305","ppt_keyid":"k1"}"#, args: #"["\u0000AQID"]"#)
        let invocation = try XCTUnwrap(invocations(calleePeer).last)
        XCTAssertEqual(invocation.details.string("ppt_scheme"), "x_custom")
        XCTAssertEqual(invocation.details.string("ppt_serializer"), "cbor")
        XCTAssertEqual(invocation.details.string("ppt_cipher"), "xsalsa20poly1305")
        XCTAssertEqual(invocation.details.string("ppt_keyid"), "k1")
        XCTAssertEqual(invocation.payload.arguments?.description, #"["\u0000AQID"]"#)
        try realm.dealer.yield(Yield(request: invocation.request, options: JSONValue.parse(#"{"ppt_scheme":"x_custom","ppt_serializer":"cbor"}"#)!), from: callee)
        XCTAssertEqual(results(callerPeer).last?.details.string("ppt_scheme"), "x_custom")
        XCTAssertEqual(results(callerPeer).last?.details.string("ppt_serializer"), "cbor")
    }

    func testPayloadPassthruFromAPeerThatDidNotAnnounceItIsAViolation() throws {
        let (callee, calleePeer) = join(1, roles: Self.basic)
        let (caller, _) = join(2, roles: Self.basic)
        register(callee, calleePeer, "p")
        XCTAssertThrowsError(try call(caller, "p", Self.pptOptions))
        let (passthruCaller, _) = join(3, roles: Self.passthru)
        try call(passthruCaller, "p", request: 2)
        let invocation = try XCTUnwrap(invocations(calleePeer).last)
        XCTAssertThrowsError(try realm.dealer.yield(Yield(request: invocation.request, options: JSONValue.parse(Self.pptOptions)!), from: callee))
    }

    func testPayloadPassthruToAPeerWithoutItIsFeatureNotSupported() throws {
        let (callee, calleePeer) = join(1, roles: Self.basic)
        let (caller, callerPeer) = join(2, roles: Self.passthru)
        register(callee, calleePeer, "p")
        try call(caller, "p", Self.pptOptions)
        XCTAssertEqual(errors(callerPeer).last?.error, "wamp.error.feature_not_supported")
        XCTAssertTrue(invocations(calleePeer).isEmpty)

        let (passthruCallee, passthruCalleePeer) = join(3, roles: Self.passthru)
        let (basicCaller, basicCallerPeer) = join(4, roles: Self.basic)
        register(passthruCallee, passthruCalleePeer, "q")
        try call(basicCaller, "q", request: 5)
        let invocation = try XCTUnwrap(invocations(passthruCalleePeer).last)
        try realm.dealer.yield(Yield(request: invocation.request, options: JSONValue.parse(Self.pptOptions)!), from: passthruCallee)
        XCTAssertEqual(errors(passthruCalleePeer).last?.error, "wamp.error.feature_not_supported")
        XCTAssertEqual(errors(passthruCalleePeer).last?.requestType, .yield)
        XCTAssertEqual(errors(basicCallerPeer).last?.error, "wamp.error.feature_not_supported")
        XCTAssertEqual(realm.dealer.pendingCallCount, 0)
    }

    func testBasicCallBuildsNoDetails() throws {
        let (callee, calleePeer) = join(1)
        let (caller, _) = join(2)
        register(callee, calleePeer, "p")
        try call(caller, "p", args: "[1]")
        XCTAssertTrue(calleePeer.texts.last!.hasSuffix(",{},[1]]"), calleePeer.texts.last!)
    }
}
