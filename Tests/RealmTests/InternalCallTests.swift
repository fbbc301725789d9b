import XCTest
@testable import Realm
import Synchronization
import WampMessages

/// Records what completions were given, in order.
final class Recorder<Value: Sendable>: Sendable {
    private let values = Mutex<[Value]>([])
    func append(_ value: Value) { values.withLock { $0.append(value) } }
    var all: [Value] { values.withLock { $0 } }
}

/// `Realm.callInternally`: the router as a caller in its own realm.
final class InternalCallTests: XCTestCase {
    private var scheduler: ManualScheduler!
    private var realm: Realm!

    override func setUp() {
        scheduler = ManualScheduler()
        realm = Realm(name: "realm1", scheduler: scheduler)
    }

    private func registerCallee(_ procedure: String, options registerOptions: String = "{}",
                                roles: String? = nil) -> (RealmSession, FakePeer) {
        let peer = FakePeer()
        let callee = RealmSession(id: 1, peer: peer, authid: "component", roles: roles.flatMap(JSONValue.parse))
        realm.join(callee)
        realm.dealer.register(Register(request: 1, options: options(registerOptions), procedure: procedure), from: callee)
        return (callee, peer)
    }

    private typealias Outcome = Swift.Result<InternalCallResult, InternalCallFailure>

    private func callInternally(_ procedure: String, _ arguments: String = "[]", timeout: Double = 5) -> Recorder<Outcome> {
        let recorder = Recorder<Outcome>()
        realm.callInternally(procedure: procedure, arguments: RawJSON(arguments)!, timeoutSeconds: timeout) { recorder.append($0) }
        return recorder
    }

    private func invocation(_ peer: FakePeer) -> Invocation? {
        guard case .invocation(let invocation)? = peer.last else { return nil }
        return invocation
    }

    func testResultCarriesArgumentsAndKwargsAndTheCallerIsNeverDisclosed() throws {
        let (callee, peer) = registerCallee("com.example.auth", options: #"{"disclose_caller":true}"#)
        let recorder = callInternally("com.example.auth", #"["realm1", "alice", {"x": 1}]"#)
        let sent = try XCTUnwrap(invocation(peer))
        XCTAssertEqual(sent.payload.arguments?.description, #"["realm1", "alice", {"x": 1}]"#)
        XCTAssertNil(sent.details.integer("caller"), "the router does not identify itself, even to a disclose_caller registration")
        XCTAssertNil(sent.details.string("caller_authid"))
        XCTAssertTrue(recorder.all.isEmpty)
        XCTAssertEqual(realm.pendingInternalCallCount, 1)
        try realm.dealer.yield(Yield(request: sent.request, options: options(),
                                     payload: Payload(arguments: RawJSON(#"[{"role":"user"}, 2]"#), argumentsKw: RawJSON(#"{"k":"v"}"#))), from: callee)
        XCTAssertEqual(recorder.all.count, 1)
        let result = try XCTUnwrap(try recorder.all.first?.get())
        XCTAssertEqual(result.firstArgument?.string("role"), "user")
        XCTAssertEqual(result.arguments?.element(1)?.integerValue, 2)
        XCTAssertEqual(result.kwargs?.string("k"), "v")
        XCTAssertEqual(realm.pendingInternalCallCount, 0)
        XCTAssertEqual(scheduler.activeCount, 0, "the answer canceled the timeout")
        XCTAssertEqual(realm.sessionCount, 1, "the router's caller never joins the realm")
    }

    func testCalleeErrorGivesItsURIAndMessage() throws {
        let (callee, peer) = registerCallee("com.example.auth")
        let recorder = callInternally("com.example.auth")
        let sent = try XCTUnwrap(invocation(peer))
        realm.dealer.invocationError(ErrorMessage(requestType: .invocation, request: sent.request, details: options(),
                                                  error: "com.example.error.denied", payload: Payload(arguments: RawJSON(#"["no such user"]"#))),
                                     from: callee)
        XCTAssertEqual(recorder.all.count, 1)
        guard case .failure(let failure)? = recorder.all.first else { return XCTFail() }
        XCTAssertEqual(failure, .error(uri: "com.example.error.denied", message: "no such user"))
    }

    func testNoSuchProcedureIsAnsweredAtOnce() {
        let recorder = callInternally("com.example.nobody")
        XCTAssertEqual(recorder.all.count, 1, "the completion ran before callInternally returned")
        guard case .failure(let failure)? = recorder.all.first else { return XCTFail() }
        XCTAssertEqual(failure, .noSuchProcedure)
        XCTAssertEqual(realm.pendingInternalCallCount, 0)
        XCTAssertEqual(scheduler.activeCount, 0)
    }

    func testInvalidProcedureURIIsAnError() {
        let recorder = callInternally("not a uri")
        guard case .failure(.error(let uri, _))? = recorder.all.first else { return XCTFail("\(recorder.all)") }
        XCTAssertEqual(uri, ErrorURI.invalidURI)
    }

    func testTimeoutFailsTheCallCancelsItAtTheDealerAndIgnoresALateAnswer() throws {
        let (callee, peer) = registerCallee("com.example.slow", roles: #"{"callee":{"features":{"call_canceling":true}}}"#)
        let recorder = callInternally("com.example.slow", timeout: 0.25)
        XCTAssertEqual(scheduler.scheduledDelays, [250])
        let sent = try XCTUnwrap(invocation(peer))
        scheduler.fireAll()
        XCTAssertEqual(recorder.all.count, 1)
        guard case .failure(let failure)? = recorder.all.first else { return XCTFail() }
        XCTAssertEqual(failure, .timeout)
        XCTAssertEqual(realm.dealer.pendingCallCount, 0, "the dealer no longer holds the call")
        guard case .interrupt(let interrupt)? = peer.last else { return XCTFail("the callee was not interrupted: \(peer.texts)") }
        XCTAssertEqual(interrupt.request, sent.request)
        XCTAssertFalse(try realm.dealer.yield(Yield(request: sent.request, options: options()), from: callee))
        XCTAssertEqual(recorder.all.count, 1, "a completion runs once")
        XCTAssertEqual(realm.pendingInternalCallCount, 0)
    }

    func testCalleeLeavingAnswersCanceled() throws {
        let (callee, _) = registerCallee("com.example.auth")
        let recorder = callInternally("com.example.auth")
        realm.leave(callee)
        guard case .failure(.error(let uri, _))? = recorder.all.first else { return XCTFail("\(recorder.all)") }
        XCTAssertEqual(uri, ErrorURI.canceled)
        XCTAssertEqual(realm.pendingInternalCallCount, 0)
    }

    func testMetaProceduresAnswerTheRouterToo() throws {
        _ = registerCallee("com.example.auth")
        let recorder = callInternally("wamp.session.count")
        let result = try XCTUnwrap(try recorder.all.first?.get())
        XCTAssertEqual(result.firstArgument?.integerValue, 1)
    }
}
