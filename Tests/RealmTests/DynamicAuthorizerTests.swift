import XCTest
@testable import Realm
import WampMessages

/// Roles decided by an authorizer procedure that a (fake) component registers in the realm.
final class DynamicAuthorizerTests: XCTestCase {
    private var scheduler: ManualScheduler!
    private var realm: Realm!
    private var component: RealmSession!
    private var componentPeer: FakePeer!

    private static let authorizer = "com.example.authorize"

    override func setUp() {
        makeRealm(RealmLimits())
    }

    private func makeRealm(_ limits: RealmLimits, registerAuthorizer: Bool = true) {
        scheduler = ManualScheduler()
        realm = Realm(name: "realm1", scheduler: scheduler, limits: limits, roles: [
            "app": .authorizer(procedure: Self.authorizer),
            "backend": .permissions([Permission(uri: Self.authorizer, match: .exact, allow: [.register])]),
        ])
        componentPeer = FakePeer()
        component = RealmSession(id: 100, peer: componentPeer, authid: "authorizer", authrole: "backend")
        realm.join(component)
        if registerAuthorizer {
            realm.dealer.register(Register(request: 1, options: options(), procedure: Self.authorizer), from: component)
        }
    }

    private func join(_ id: WampID) -> RealmSession {
        let session = RealmSession(id: id, peer: FakePeer(), authid: "user-\(id)", authrole: "app", authmethod: "ticket",
                                   authextra: JSONValue.parse(#"{"plan":"free"}"#))
        realm.join(session)
        return session
    }

    private func ask(_ action: WampAction, _ uri: String, _ session: RealmSession, options text: String = "{}")
        -> (immediate: AuthorizationOutcome?, later: Recorder<AuthorizationOutcome>) {
        let recorder = Recorder<AuthorizationOutcome>()
        let immediate = realm.authorize(action, uri: uri, session: session, options: options(text)) { recorder.append($0) }
        return (immediate, recorder)
    }

    private func lastInvocation(file: StaticString = #filePath, line: UInt = #line) -> Invocation? {
        guard case .invocation(let invocation)? = componentPeer.last else {
            XCTFail("the authorizer was not called: \(componentPeer.texts)", file: file, line: line)
            return nil
        }
        return invocation
    }

    private func answer(_ arguments: String) throws {
        let invocation = try XCTUnwrap(lastInvocation())
        componentPeer.clear()
        try realm.dealer.yield(Yield(request: invocation.request, options: options(), payload: Payload(arguments: RawJSON(arguments)!)),
                               from: component)
    }

    private func deniedURI(_ outcome: AuthorizationOutcome?) -> String? {
        if case .denied(let uri, _)? = outcome { return uri }
        return nil
    }

    func testAuthorizerGetsSessionDetailsURIActionAndOptions() throws {
        let user = join(1)
        let (immediate, later) = ask(.call, "com.example.add", user, options: #"{"timeout":100}"#)
        XCTAssertNil(immediate, "a dynamic decision comes later")
        let invocation = try XCTUnwrap(lastInvocation())
        let arguments = try XCTUnwrap(invocation.payload.arguments?.parsed())
        XCTAssertEqual(arguments.count, 4)
        let details = try XCTUnwrap(arguments.element(0))
        XCTAssertEqual(details.integer("session"), 1)
        XCTAssertEqual(details.string("authid"), "user-1")
        XCTAssertEqual(details.string("authrole"), "app")
        XCTAssertEqual(details.string("authmethod"), "ticket")
        XCTAssertEqual(details.string("authprovider"), "static")
        XCTAssertEqual(details.object("authextra")?.string("plan"), "free")
        XCTAssertEqual(arguments.element(1)?.stringValue, "com.example.add")
        XCTAssertEqual(arguments.element(2)?.stringValue, "call")
        XCTAssertEqual(arguments.element(3)?.integer("timeout"), 100)
        XCTAssertNil(invocation.details.integer("caller"))
        XCTAssertTrue(later.all.isEmpty)
        try answer("[true]")
        XCTAssertEqual(later.all, [.allowedSilently])
    }

    func testBooleanAnswersAllowOrDenyAndAreNotCached() throws {
        let user = join(1)
        var (immediate, later) = ask(.publish, "com.example.topic", user)
        XCTAssertNil(immediate)
        try answer("[false]")
        XCTAssertEqual(later.all.count, 1)
        XCTAssertEqual(deniedURI(later.all.first), ErrorURI.notAuthorized)
        (immediate, later) = ask(.publish, "com.example.topic", user)
        XCTAssertNil(immediate, "a plain boolean is not cached: asked again")
        try answer("[true]")
        XCTAssertEqual(later.all, [.allowedSilently])
        XCTAssertNil(realm.authorizeNow(.publish, uri: "com.example.topic", session: user))
    }

    func testDictionaryAnswerDisclosesAndIsCachedPerSessionURIAndAction() throws {
        let user = join(1)
        let other = join(2)
        var (immediate, later) = ask(.call, "com.example.add", user)
        XCTAssertNil(immediate)
        try answer(#"[{"allow": true, "disclose": true, "cache": true}]"#)
        XCTAssertEqual(later.all, [.allowed(disclose: true)])
        XCTAssertEqual(realm.authorizeNow(.call, uri: "com.example.add", session: user), .allowed(disclose: true),
                       "cached for this session, URI and action")
        (immediate, later) = ask(.call, "com.example.add", user)
        XCTAssertEqual(immediate, .allowed(disclose: true))
        XCTAssertNil(componentPeer.last, "the authorizer was not asked again")
        XCTAssertNil(realm.authorizeNow(.register, uri: "com.example.add", session: user), "another action is another question")
        XCTAssertNil(realm.authorizeNow(.call, uri: "com.example.sub", session: user), "another URI too")
        XCTAssertNil(realm.authorizeNow(.call, uri: "com.example.add", session: other), "and another session")
        XCTAssertEqual(user.authorizerDecisions.withLock { $0.count }, 1)
        realm.leave(user)
        XCTAssertEqual(user.authorizerDecisions.withLock { $0.count }, 0, "dropped when the session leaves")
    }

    func testCachedDenialAndDisclosureOnlyForCallsAndPublications() throws {
        let user = join(1)
        _ = ask(.subscribe, "com.example.topic", user)
        try answer(#"[{"allow": true, "disclose": true, "cache": true}]"#)
        XCTAssertEqual(realm.authorizeNow(.subscribe, uri: "com.example.topic", session: user), .allowedSilently)
        _ = ask(.register, "com.example.proc", user)
        try answer(#"[{"allow": false, "cache": true}]"#)
        XCTAssertEqual(deniedURI(realm.authorizeNow(.register, uri: "com.example.proc", session: user)), ErrorURI.notAuthorized)
    }

    func testReplaceRolesDropsDynamicDecisionsAndAnswersFromTheOldTable() throws {
        let user = join(1)
        _ = ask(.call, "com.example.add", user)
        try answer(#"[{"allow": true, "cache": true}]"#)
        XCTAssertEqual(realm.authorizeNow(.call, uri: "com.example.add", session: user), .allowedSilently)
        realm.replaceRoles(["app": .authorizer(procedure: Self.authorizer),
                            "backend": .permissions([Permission(uri: Self.authorizer, match: .exact, allow: [.register])])])
        XCTAssertNil(realm.authorizeNow(.call, uri: "com.example.add", session: user), "the cached decision belonged to the old table")
        // A question asked before a swap is answered, but its answer is not kept.
        let (_, later) = ask(.call, "com.example.add", user)
        realm.replaceRoles(["app": .authorizer(procedure: Self.authorizer),
                            "backend": .permissions([Permission(uri: Self.authorizer, match: .exact, allow: [.register])])])
        try answer(#"[{"allow": true, "cache": true}]"#)
        XCTAssertEqual(later.all, [.allowedSilently])
        XCTAssertNil(realm.authorizeNow(.call, uri: "com.example.add", session: user))
    }

    func testMalformedAnswersFailAuthorization() throws {
        let user = join(1)
        for bad in [#"[{"allowed": true}]"#, #"[{"allow": "yes"}]"#, #"[{"allow": true, "cache": 1}]"#, "[]", #"["yes"]"#,
                    #"[{"allow": true, "validate": {"call": "T"}}]"#] {
            let (immediate, later) = ask(.call, "com.example.add", user)
            XCTAssertNil(immediate)
            try answer(bad)
            XCTAssertEqual(later.all.count, 1, bad)
            XCTAssertEqual(deniedURI(later.all.first), ErrorURI.authorizationFailed, bad)
        }
        XCTAssertEqual(realm.counters.value(.authorizerFailures), 6)
        let (_, later) = ask(.call, "com.example.add", user)
        try answer(#"[{"allow": true, "validate": null}]"#)
        XCTAssertEqual(later.all, [.allowedSilently], "a null validate is no validation")
    }

    func testAuthorizerErrorFailsAuthorization() throws {
        let user = join(1)
        let (_, later) = ask(.call, "com.example.add", user)
        let invocation = try XCTUnwrap(lastInvocation())
        realm.dealer.invocationError(ErrorMessage(requestType: .invocation, request: invocation.request, details: options(),
                                                  error: "com.example.error.broken", payload: Payload(arguments: RawJSON(#"["db down"]"#))),
                                     from: component)
        guard case .denied(let uri, let message)? = later.all.first else { return XCTFail("\(later.all)") }
        XCTAssertEqual(uri, ErrorURI.authorizationFailed)
        XCTAssertTrue(message.contains("com.example.error.broken") && message.contains("db down"), message)
    }

    func testTimeoutFailsAuthorizationAfterTheConfiguredTime() throws {
        var limits = RealmLimits()
        limits.authorizerTimeoutSeconds = 2
        makeRealm(limits)
        let user = join(1)
        let (immediate, later) = ask(.subscribe, "com.example.topic", user)
        XCTAssertNil(immediate)
        XCTAssertEqual(scheduler.scheduledDelays, [2000])
        let invocation = try XCTUnwrap(lastInvocation())
        scheduler.fireAll()
        XCTAssertEqual(later.all.count, 1)
        guard case .denied(let uri, let message)? = later.all.first else { return XCTFail() }
        XCTAssertEqual(uri, ErrorURI.authorizationFailed)
        XCTAssertTrue(message.contains("did not answer"), message)
        XCTAssertFalse(try realm.dealer.yield(Yield(request: invocation.request, options: options(), payload: Payload(arguments: RawJSON("[true]"))),
                                              from: component), "the dealer dropped the call at the timeout")
        XCTAssertEqual(later.all.count, 1)
        XCTAssertEqual(RealmLimits().authorizerTimeoutSeconds, 5, "Crossbar's default")
    }

    func testUnregisteredAuthorizerDeniesAtOnce() {
        makeRealm(RealmLimits(), registerAuthorizer: false)
        let user = join(1)
        let (immediate, later) = ask(.call, "com.example.add", user)
        guard case .denied(let uri, let message)? = immediate else { return XCTFail("expected an immediate denial, got \(String(describing: immediate))") }
        XCTAssertEqual(uri, ErrorURI.authorizationFailed)
        XCTAssertTrue(message.contains("not registered"), message)
        XCTAssertTrue(later.all.isEmpty, "an answer returned is not also delivered to the completion")
        XCTAssertNil(realm.authorizeNow(.call, uri: "com.example.add", session: user), "failures are never cached")
    }

    func testTheAuthorizersOwnRoleIsStatic() {
        XCTAssertEqual(realm.authorizeNow(.register, uri: Self.authorizer, session: component), .allowedSilently)
        XCTAssertEqual(deniedURI(realm.authorizeNow(.call, uri: Self.authorizer, session: component)), ErrorURI.notAuthorized)
    }
}
