import XCTest
import Realm
import WampMessages

final class DealerTests: XCTestCase {
    private var realm: Realm!

    override func setUp() {
        realm = Realm(name: "realm1")
    }

    private func register(_ session: RealmSession, _ peer: FakePeer, _ procedure: String, request: WampID = 1) -> WampID? {
        realm.dealer.register(Register(request: request, options: options(), procedure: procedure), from: session)
        guard case .registered(let registered) = peer.last else { return nil }
        return registered.registration
    }

    private func lastInvocation(_ peer: FakePeer) -> Invocation? {
        guard case .invocation(let invocation) = peer.last else { return nil }
        return invocation
    }

    func testCallInvocationYieldResultCarriesPayloadBothWays() throws {
        let (callee, calleePeer) = realm.joinFake(1)
        let (caller, callerPeer) = realm.joinFake(2)
        let registration = try XCTUnwrap(register(callee, calleePeer, "com.example.add2"))
        try realm.dealer.call(Call(request: 77, options: options(), procedure: "com.example.add2",
                                   payload: Payload(arguments: RawJSON("[2, 3]"), argumentsKw: RawJSON(#"{"k": "v"}"#))), from: caller)
        let invocation = try XCTUnwrap(lastInvocation(calleePeer))
        XCTAssertEqual(invocation.registration, registration)
        XCTAssertEqual(invocation.request, 1, "session-scope request IDs count from 1")
        XCTAssertEqual(invocation.payload.arguments?.description, "[2, 3]")
        XCTAssertEqual(invocation.payload.argumentsKw?.description, #"{"k": "v"}"#)
        XCTAssertTrue(try realm.dealer.yield(Yield(request: invocation.request, options: options(), payload: Payload(arguments: RawJSON("[5]"))), from: callee))
        guard case .result(let result) = callerPeer.last else { return XCTFail("no RESULT") }
        XCTAssertEqual(result.request, 77)
        XCTAssertEqual(result.payload.arguments?.description, "[5]")
        XCTAssertEqual(realm.dealer.pendingCallCount, 0)
    }

    func testInvocationRequestIDsCountUpPerCallee() throws {
        let (callee, calleePeer) = realm.joinFake(1)
        let (caller, _) = realm.joinFake(2)
        _ = register(callee, calleePeer, "p")
        for request in 1...3 as ClosedRange<WampID> {
            try realm.dealer.call(Call(request: request * 10, options: options(), procedure: "p"), from: caller)
            XCTAssertEqual(lastInvocation(calleePeer)?.request, request)
        }
    }

    func testCalleeErrorReachesCallerWithSameURIAndPayload() throws {
        let (callee, calleePeer) = realm.joinFake(1)
        let (caller, callerPeer) = realm.joinFake(2)
        _ = register(callee, calleePeer, "p")
        try realm.dealer.call(Call(request: 5, options: options(), procedure: "p"), from: caller)
        let invocation = try XCTUnwrap(lastInvocation(calleePeer))
        realm.dealer.invocationError(ErrorMessage(requestType: .invocation, request: invocation.request, details: options(),
                                                  error: "com.example.error.custom", payload: Payload(arguments: RawJSON("[1,2]"), argumentsKw: RawJSON(#"{"a":3}"#))), from: callee)
        guard case .error(let error) = callerPeer.last else { return XCTFail() }
        XCTAssertEqual(error.requestType, .call)
        XCTAssertEqual(error.request, 5)
        XCTAssertEqual(error.error, "com.example.error.custom")
        XCTAssertEqual(error.payload.arguments?.description, "[1,2]")
        XCTAssertEqual(error.payload.argumentsKw?.description, #"{"a":3}"#)
    }

    func testRegisteringTwiceFailsAndUnknownProcedureIsAnError() throws {
        let (a, peerA) = realm.joinFake(1)
        let (b, peerB) = realm.joinFake(2)
        XCTAssertNotNil(register(a, peerA, "p"))
        XCTAssertNil(register(b, peerB, "p"))
        guard case .error(let error) = peerB.last else { return XCTFail() }
        XCTAssertEqual(error.error, "wamp.error.procedure_already_exists")
        XCTAssertEqual(error.requestType, .register)
        try realm.dealer.call(Call(request: 1, options: options(), procedure: "q"), from: b)
        guard case .error(let missing) = peerB.last else { return XCTFail() }
        XCTAssertEqual(missing.error, "wamp.error.no_such_procedure")
        XCTAssertEqual(missing.requestType, .call)
    }

    func testInvalidAndReservedProcedureURIs() throws {
        let (session, peer) = realm.joinFake(1)
        XCTAssertNil(register(session, peer, "wamp.session.count"))
        guard case .error(let reserved) = peer.last else { return XCTFail() }
        XCTAssertEqual(reserved.error, "wamp.error.invalid_uri")
        XCTAssertNil(register(session, peer, "a..b"))
        guard case .error(let invalid) = peer.last else { return XCTFail() }
        XCTAssertEqual(invalid.error, "wamp.error.invalid_uri")
        try realm.dealer.call(Call(request: 1, options: options(), procedure: "bad uri"), from: session)
        guard case .error(let call) = peer.last else { return XCTFail() }
        XCTAssertEqual(call.error, "wamp.error.invalid_uri")
    }

    func testUnregisterOnlyByOwner() throws {
        let (a, peerA) = realm.joinFake(1)
        let (b, peerB) = realm.joinFake(2)
        let registration = try XCTUnwrap(register(a, peerA, "p"))
        realm.dealer.unregister(Unregister(request: 2, registration: registration), from: b)
        guard case .error(let error) = peerB.last else { return XCTFail() }
        XCTAssertEqual(error.error, "wamp.error.no_such_registration")
        realm.dealer.unregister(Unregister(request: 3, registration: registration), from: a)
        guard case .unregistered(let unregistered) = peerA.last else { return XCTFail() }
        XCTAssertEqual(unregistered.request, 3)
        XCTAssertEqual(realm.dealer.registrationCount, 0)
    }

    func testReusingAPendingRequestIDIsAViolation() throws {
        let (callee, calleePeer) = realm.joinFake(1)
        let (caller, _) = realm.joinFake(2)
        _ = register(callee, calleePeer, "p")
        try realm.dealer.call(Call(request: 1, options: options(), procedure: "p"), from: caller)
        XCTAssertThrowsError(try realm.dealer.call(Call(request: 1, options: options(), procedure: "p"), from: caller))
        let invocation = try XCTUnwrap(lastInvocation(calleePeer))
        try realm.dealer.yield(Yield(request: invocation.request, options: options()), from: callee)
        XCTAssertNoThrow(try realm.dealer.call(Call(request: 1, options: options(), procedure: "p"), from: caller),
                         "a settled request ID may be used again")
    }

    func testCalleeLeavingCancelsPendingCallsAtOnce() throws {
        let (callee, calleePeer) = realm.joinFake(1)
        let (caller, callerPeer) = realm.joinFake(2)
        _ = register(callee, calleePeer, "p")
        try realm.dealer.call(Call(request: 8, options: options(), procedure: "p"), from: caller)
        try realm.dealer.call(Call(request: 9, options: options(), procedure: "p"), from: caller)
        realm.leave(callee)
        let errors = callerPeer.messages.compactMap { message -> ErrorMessage? in
            guard case .error(let error) = message else { return nil }
            return error
        }
        XCTAssertEqual(Set(errors.map(\.request)), [8, 9])
        XCTAssertTrue(errors.allSatisfy { $0.error == "wamp.error.canceled" && $0.requestType == .call })
        XCTAssertEqual(realm.dealer.pendingCallCount, 0)
        XCTAssertEqual(realm.dealer.registrationCount, 0)
        try realm.dealer.call(Call(request: 10, options: options(), procedure: "p"), from: caller)
        guard case .error(let gone) = callerPeer.last else { return XCTFail() }
        XCTAssertEqual(gone.error, "wamp.error.no_such_procedure")
    }

    func testCallerLeavingForgetsItsCallsAndALateYieldIsIgnored() throws {
        let (callee, calleePeer) = realm.joinFake(1)
        let (caller, callerPeer) = realm.joinFake(2)
        _ = register(callee, calleePeer, "p")
        try realm.dealer.call(Call(request: 1, options: options(), procedure: "p"), from: caller)
        let invocation = try XCTUnwrap(lastInvocation(calleePeer))
        realm.leave(caller)
        XCTAssertEqual(realm.dealer.pendingCallCount, 0)
        callerPeer.clear()
        XCTAssertFalse(try realm.dealer.yield(Yield(request: invocation.request, options: options()), from: callee))
        XCTAssertTrue(callerPeer.messages.isEmpty)
    }

    func testYieldFromAnotherSessionDoesNotSettleTheCall() throws {
        let (callee, calleePeer) = realm.joinFake(1)
        let (caller, callerPeer) = realm.joinFake(2)
        let (intruder, _) = realm.joinFake(3)
        _ = register(callee, calleePeer, "p")
        try realm.dealer.call(Call(request: 1, options: options(), procedure: "p"), from: caller)
        let invocation = try XCTUnwrap(lastInvocation(calleePeer))
        callerPeer.clear()
        XCTAssertFalse(try realm.dealer.yield(Yield(request: invocation.request, options: options()), from: intruder))
        XCTAssertTrue(callerPeer.messages.isEmpty)
        XCTAssertEqual(realm.dealer.pendingCallCount, 1)
    }

    func testThousandConcurrentCallsAreMatchedByRequestID() throws {
        let (callee, calleePeer) = realm.joinFake(1)
        let (caller, callerPeer) = realm.joinFake(2)
        _ = register(callee, calleePeer, "p")
        for request in 1...1000 as ClosedRange<WampID> {
            try realm.dealer.call(Call(request: request, options: options(), procedure: "p", payload: Payload(arguments: RawJSON("[\(request)]"))), from: caller)
        }
        let invocations = calleePeer.messages.compactMap { message -> Invocation? in
            guard case .invocation(let invocation) = message else { return nil }
            return invocation
        }
        XCTAssertEqual(invocations.count, 1000)
        for invocation in invocations.reversed() {
            try realm.dealer.yield(Yield(request: invocation.request, options: options(), payload: invocation.payload), from: callee)
        }
        let results = callerPeer.messages.compactMap { message -> Result? in
            guard case .result(let result) = message else { return nil }
            return result
        }
        XCTAssertEqual(results.count, 1000)
        XCTAssertTrue(results.allSatisfy { $0.payload.arguments?.description == "[\($0.request)]" })
    }

    func testRealmsAreIsolated() throws {
        let other = Realm(name: "realm2")
        let (callee, calleePeer) = realm.joinFake(1)
        _ = register(callee, calleePeer, "p")
        let (stranger, strangerPeer) = RealmSession.make(2)
        other.join(stranger)
        try other.dealer.call(Call(request: 1, options: options(), procedure: "p"), from: stranger)
        guard case .error(let error) = strangerPeer.last else { return XCTFail() }
        XCTAssertEqual(error.error, "wamp.error.no_such_procedure")
    }
}
