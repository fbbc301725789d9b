import XCTest
@testable import Realm
import WampMessages

/// The realm's role table and the check the session layer makes before each REGISTER, CALL,
/// SUBSCRIBE and PUBLISH, with static roles.
final class AuthorizationTests: XCTestCase {
    private func join(_ realm: Realm, _ id: WampID, role: String, authid: String? = nil) -> (RealmSession, FakePeer) {
        let peer = FakePeer()
        let session = RealmSession(id: id, peer: peer, authid: authid ?? "user-\(id)", authrole: role)
        realm.join(session)
        return (session, peer)
    }

    private func deniedURI(_ outcome: AuthorizationOutcome?) -> String? {
        if case .denied(let uri, _)? = outcome { return uri }
        return nil
    }

    private static let userRole: RoleDefinition = .permissions([
        Permission(uri: "com.example.", match: .prefix, allow: [.call, .subscribe]),
        Permission(uri: "com.example.secret", match: .exact, allow: []),
        Permission(uri: "com.example.feed", match: .exact, allow: [.publish, .subscribe], disclosePublisher: true),
        Permission(uri: "com.example.audited", match: .exact, allow: [.call], discloseCaller: true),
    ])

    func testDevelopmentDefaultAllowsEverythingWithoutATable() {
        let realm = Realm(name: "realm1")
        XCTAssertFalse(realm.hasRoleTable)
        XCTAssertTrue(realm.hasRole("whatever"))
        let (session, _) = join(realm, 1, role: "nobody")
        for action in WampAction.allCases {
            XCTAssertEqual(realm.authorizeNow(action, uri: "wamp.session.kill_all", session: session), .allowedSilently)
        }
    }

    func testStaticRoleAllowsDeniesAndNamesTheRequest() throws {
        let realm = Realm(name: "realm1", roles: ["user": Self.userRole])
        XCTAssertTrue(realm.hasRoleTable)
        XCTAssertTrue(realm.hasRole("user"))
        XCTAssertFalse(realm.hasRole("admin"))
        let (user, _) = join(realm, 1, role: "user", authid: "alice")
        XCTAssertEqual(realm.authorizeNow(.call, uri: "com.example.add", session: user), .allowedSilently)
        XCTAssertEqual(realm.authorizeNow(.subscribe, uri: "com.example.news", session: user), .allowedSilently)
        let denied = realm.authorizeNow(.publish, uri: "com.example.news", session: user)
        XCTAssertEqual(deniedURI(denied), ErrorURI.notAuthorized)
        if case .denied(_, let message)? = denied {
            XCTAssertTrue(message.contains("alice") && message.contains("publish") && message.contains("com.example.news"), message)
        }
        XCTAssertEqual(deniedURI(realm.authorizeNow(.call, uri: "com.example.secret", session: user)), ErrorURI.notAuthorized)
        XCTAssertEqual(realm.authorizeNow(.call, uri: "com.example.secret.part", session: user), .allowedSilently,
                       "the exact denial covers only its own URI")
        XCTAssertEqual(deniedURI(realm.authorizeNow(.register, uri: "org.other", session: user)), ErrorURI.notAuthorized)
        // The completion form answers static roles at once and never calls back.
        let outcome = realm.authorize(.call, uri: "com.example.add", session: user, options: options()) { _ in
            XCTFail("a static decision must not use the completion")
        }
        XCTAssertEqual(outcome, .allowedSilently)
    }

    func testARoleNotInTheTableIsDeniedEverything() {
        let realm = Realm(name: "realm1", roles: ["user": Self.userRole])
        let (stranger, _) = join(realm, 1, role: "ghost")
        for action in WampAction.allCases {
            let outcome = realm.authorizeNow(action, uri: "com.example.add", session: stranger)
            XCTAssertEqual(deniedURI(outcome), ErrorURI.notAuthorized)
            if case .denied(_, let message)? = outcome { XCTAssertTrue(message.contains("ghost"), message) }
        }
    }

    func testPermissionDisclosureIsReportedForItsAction() {
        let realm = Realm(name: "realm1", roles: ["user": Self.userRole])
        let (user, _) = join(realm, 1, role: "user")
        XCTAssertEqual(realm.authorizeNow(.call, uri: "com.example.audited", session: user), .allowed(disclose: true))
        XCTAssertEqual(realm.authorizeNow(.publish, uri: "com.example.feed", session: user), .allowed(disclose: true))
        XCTAssertEqual(realm.authorizeNow(.subscribe, uri: "com.example.feed", session: user), .allowedSilently,
                       "disclose.publisher says nothing about subscribing")
    }

    func testMetaProceduresAreDeniableLikeAnyURI() {
        let realm = Realm(name: "realm1", roles: [
            "guest": .permissions([
                Permission(uri: "", match: .prefix, allow: [.call, .subscribe]),
                Permission(uri: "wamp.session.", match: .prefix, allow: []),
                Permission(uri: "wamp.session.count", match: .exact, allow: [.call]),
            ]),
            "admin": .permissions([Permission(uri: "wamp.", match: .prefix, allow: [.call, .subscribe])]),
        ])
        let (guest, _) = join(realm, 1, role: "guest")
        let (admin, _) = join(realm, 2, role: "admin")
        for procedure in ["wamp.session.kill_all", "wamp.session.kill", "wamp.session.get"] {
            XCTAssertEqual(deniedURI(realm.authorizeNow(.call, uri: procedure, session: guest)), ErrorURI.notAuthorized, procedure)
            XCTAssertEqual(realm.authorizeNow(.call, uri: procedure, session: admin), .allowedSilently, procedure)
        }
        XCTAssertEqual(realm.authorizeNow(.call, uri: "wamp.session.count", session: guest), .allowedSilently)
        XCTAssertEqual(realm.authorizeNow(.call, uri: "wamp.registration.remove_callee", session: guest), .allowedSilently)
        XCTAssertEqual(deniedURI(realm.authorizeNow(.call, uri: "com.example", session: admin)), ErrorURI.notAuthorized)
        XCTAssertEqual(realm.authorizeNow(.subscribe, uri: "wamp.session.on_join", session: admin), .allowedSilently)
        XCTAssertEqual(deniedURI(realm.authorizeNow(.subscribe, uri: "wamp.session.on_join", session: guest)), ErrorURI.notAuthorized)
    }

    func testStaticDecisionsAreCachedPerRoleByURIAndBounded() {
        var limits = RealmLimits()
        limits.maxAuthorizationCacheEntries = 3
        let realm = Realm(name: "realm1", limits: limits, roles: ["user": Self.userRole, "other": .permissions([])])
        let (user, _) = join(realm, 1, role: "user")
        let (other, _) = join(realm, 2, role: "other")
        func cached(_ role: String) -> Int { realm.roleTable.withLock { $0.roles![role]!.decisions.count } }
        for action in WampAction.allCases { _ = realm.authorizeNow(action, uri: "com.example.a", session: user) }
        XCTAssertEqual(cached("user"), 1, "one entry answers every action on a URI")
        _ = realm.authorizeNow(.call, uri: "com.example.a", session: other)
        XCTAssertEqual(cached("other"), 1, "each role has its own cache")
        _ = realm.authorizeNow(.call, uri: "com.example.b", session: user)
        _ = realm.authorizeNow(.call, uri: "com.example.secret", session: user)
        XCTAssertEqual(cached("user"), 3)
        XCTAssertEqual(realm.counters.value(.authorizationCacheCleared), 0)
        XCTAssertEqual(realm.authorizeNow(.call, uri: "com.example.c", session: user), .allowedSilently)
        XCTAssertEqual(cached("user"), 1, "a full cache is emptied, then refills")
        XCTAssertEqual(realm.counters.value(.authorizationCacheCleared), 1)
        XCTAssertEqual(deniedURI(realm.authorizeNow(.call, uri: "com.example.secret", session: user)), ErrorURI.notAuthorized,
                       "decisions stay right after the cache was emptied")
        XCTAssertEqual(cached("other"), 1)
    }

    func testReplaceRolesSwapsTheTableAndDropsCachedDecisions() {
        let realm = Realm(name: "realm1", roles: ["user": Self.userRole])
        let (user, _) = join(realm, 1, role: "user")
        XCTAssertEqual(realm.authorizeNow(.call, uri: "com.example.add", session: user), .allowedSilently)
        realm.replaceRoles(["user": .permissions([Permission(uri: "com.example.add", match: .exact, allow: [.subscribe])])])
        XCTAssertEqual(deniedURI(realm.authorizeNow(.call, uri: "com.example.add", session: user)), ErrorURI.notAuthorized,
                       "the cached allow of the old table is gone")
        XCTAssertEqual(realm.authorizeNow(.subscribe, uri: "com.example.add", session: user), .allowedSilently)
        realm.replaceRoles(["admin": .permissions([Permission(uri: "", match: .prefix, allow: Set(WampAction.allCases))])])
        XCTAssertFalse(realm.hasRole("user"))
        XCTAssertEqual(deniedURI(realm.authorizeNow(.subscribe, uri: "com.example.add", session: user)), ErrorURI.notAuthorized,
                       "a session whose role is gone is denied everything")
        XCTAssertEqual(realm.sessionCount, 1, "and keeps its session")
        realm.replaceRoles(nil)
        XCTAssertFalse(realm.hasRoleTable)
        XCTAssertEqual(realm.authorizeNow(.register, uri: "anything", session: user), .allowedSilently)
        realm.replaceRoles([:])
        XCTAssertTrue(realm.hasRoleTable)
        XCTAssertEqual(deniedURI(realm.authorizeNow(.register, uri: "anything", session: user)), ErrorURI.notAuthorized,
                       "an empty table allows nothing")
    }

    func testRegistryGivesEachRealmItsTableAndReplacesThem() throws {
        let registry = RealmRegistry(realmNames: ["open", "closed"], rolesByRealm: ["closed": ["user": Self.userRole]])
        let open = try XCTUnwrap(registry.realm(named: "open"))
        let closed = try XCTUnwrap(registry.realm(named: "closed"))
        XCTAssertFalse(open.hasRoleTable)
        XCTAssertTrue(closed.hasRoleTable)
        let unknown = registry.replaceRoles(byRealm: ["open": ["guest": .permissions([])], "missing": [:]])
        XCTAssertEqual(unknown, ["missing"])
        XCTAssertTrue(open.hasRole("guest"))
        XCTAssertFalse(open.hasRole("user"))
        XCTAssertTrue(closed.hasRole("user"), "a realm the reload does not name keeps its table")
        // The old initializer still works: no tables.
        XCTAssertEqual(RealmRegistry(realmNames: ["r"]).realm(named: "r")?.hasRoleTable, false)
    }

    func testPermissionDisclosureIdentifiesTheCallerInTheInvocation() throws {
        let realm = Realm(name: "realm1", roles: ["user": Self.userRole])
        let (callee, calleePeer) = join(realm, 1, role: "user")
        let (caller, _) = join(realm, 2, role: "user", authid: "carol")
        realm.dealer.register(Register(request: 1, options: options(), procedure: "com.example.audited"), from: callee)
        realm.dealer.register(Register(request: 2, options: options(), procedure: "com.example.plain"), from: callee)
        guard case .allowed(let disclose)? = realm.authorizeNow(.call, uri: "com.example.audited", session: caller) else { return XCTFail() }
        try realm.call(Call(request: 1, options: options(), procedure: "com.example.audited"), from: caller, discloseCaller: disclose)
        guard case .invocation(let disclosed)? = calleePeer.last else { return XCTFail("no INVOCATION: \(calleePeer.texts)") }
        XCTAssertEqual(disclosed.details.integer("caller"), 2)
        XCTAssertEqual(disclosed.details.string("caller_authid"), "carol")
        XCTAssertEqual(disclosed.details.string("caller_authrole"), "user")
        try realm.call(Call(request: 2, options: options(), procedure: "com.example.plain"), from: caller)
        guard case .invocation(let plain)? = calleePeer.last else { return XCTFail() }
        XCTAssertNil(plain.details.integer("caller"), "no disclosure unless the permission or the caller asks")
    }

    func testPermissionDisclosureIdentifiesThePublisherInTheEvent() throws {
        let realm = Realm(name: "realm1", roles: ["user": Self.userRole])
        let (subscriber, subscriberPeer) = join(realm, 1, role: "user")
        let (publisher, publisherPeer) = join(realm, 2, role: "user", authid: "pat")
        realm.broker.subscribe(Subscribe(request: 1, options: options(), topic: "com.example.feed"), from: subscriber)
        guard case .allowed(let disclose)? = realm.authorizeNow(.publish, uri: "com.example.feed", session: publisher) else { return XCTFail() }
        XCTAssertTrue(disclose)
        for (request, publishOptions) in [(WampID(1), "{}"), (WampID(2), #"{"acknowledge":true}"#)] {
            subscriberPeer.clear()
            realm.broker.publish(Publish(request: request, options: options(publishOptions), topic: "com.example.feed"),
                                 from: publisher, disclosePublisher: disclose)
            guard case .event(let event)? = subscriberPeer.last else { return XCTFail("no EVENT: \(subscriberPeer.texts)") }
            XCTAssertEqual(event.details.integer("publisher"), 2, publishOptions)
            XCTAssertEqual(event.details.string("publisher_authid"), "pat")
            XCTAssertEqual(event.details.string("publisher_authrole"), "user")
        }
        guard case .published? = publisherPeer.last else { return XCTFail("the acknowledged publication was not acknowledged") }
        subscriberPeer.clear()
        realm.broker.publish(Publish(request: 3, options: options(), topic: "com.example.feed"), from: publisher)
        guard case .event(let plain)? = subscriberPeer.last else { return XCTFail() }
        XCTAssertNil(plain.details.integer("publisher"))
    }

    func testRefusedUnacknowledgedPublishIsCounted() {
        let realm = Realm(name: "realm1", roles: ["user": Self.userRole])
        let (user, _) = join(realm, 1, role: "user")
        guard case .denied(_, let message)? = realm.authorizeNow(.publish, uri: "com.example.news", session: user) else { return XCTFail() }
        for _ in 0..<3 { realm.refusedUnacknowledgedPublish(topic: "com.example.news", from: user, reason: message) }
        XCTAssertEqual(realm.counters.value(.unacknowledgedPublishRefused), 3)
    }

    func testTestamentsNeedPublishPermissionOnTheirTopic() throws {
        let realm = Realm(name: "realm1", roles: ["user": Self.userRole])
        let (user, peer) = join(realm, 1, role: "user")
        XCTAssertEqual(try realm.callMeta(user, peer, "wamp.session.add_testament", #"["com.example.news", [1]]"#),
                       "!wamp.error.not_authorized")
        XCTAssertEqual(try realm.callMeta(user, peer, "wamp.session.add_testament", #"["com.example.feed", [1]]"#), "")
    }

    func testSessionDetailsCarryAuthproviderAndAuthextra() throws {
        let realm = Realm(name: "realm1")
        let (watcher, watcherPeer) = realm.joinFake(1)
        realm.broker.subscribe(Subscribe(request: 1, options: options(), topic: "wamp.session.on_join"), from: watcher)
        let session = RealmSession(id: 2, peer: FakePeer(), authid: "dora", authrole: "user", authmethod: "ticket",
                                   authprovider: "dynamic", authextra: JSONValue.parse(#"{"tier":"gold"}"#))
        realm.join(session)
        guard case .event(let event)? = watcherPeer.last else { return XCTFail("no on_join: \(watcherPeer.texts)") }
        let joined = try XCTUnwrap(event.payload.arguments?.parsed()?.element(0))
        XCTAssertEqual(joined.string("authprovider"), "dynamic")
        XCTAssertEqual(joined.object("authextra")?.string("tier"), "gold")
        let got = try XCTUnwrap(RawJSON(try realm.callMeta(watcher, watcherPeer, "wamp.session.get", "[2]"))?.parsed()?.element(0))
        XCTAssertEqual(got.string("authmethod"), "ticket")
        XCTAssertEqual(got.string("authprovider"), "dynamic")
        XCTAssertEqual(got.object("authextra")?.string("tier"), "gold")
        let plain = try XCTUnwrap(RawJSON(try realm.callMeta(watcher, watcherPeer, "wamp.session.get", "[1]"))?.parsed()?.element(0))
        XCTAssertEqual(plain.string("authprovider"), "static")
        XCTAssertEqual(plain.value("authextra")?.isNull, true)
    }
}
