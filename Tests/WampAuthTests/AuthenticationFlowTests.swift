import XCTest
import WampMessages
@testable import WampAuth

final class AuthenticationFlowTests: XCTestCase {
    let ticketConfig = TransportAuthConfiguration(ticket: .principals([
        "joe": TicketPrincipal(ticket: "joe-ticket-77", role: "user", realm: "joes-realm"),
    ]))

    // MARK: Choosing the method

    func testNoAuthmethodsMeansAnonymousWithARouterAssignedAuthid() throws {
        var flow = Fixture.flow(.anonymousOnly, AuthHello(realm: "realm1", authid: "claimed-admin",
                                                          authextra: Fixture.object(#"{"x":1}"#)))
        let identity = try XCTUnwrap(flow.start().identity)
        XCTAssertEqual(identity.authmethod, .anonymous)
        XCTAssertEqual(identity.authrole, "anonymous")
        XCTAssertEqual(identity.authprovider, "static")
        XCTAssertEqual(identity.realm, "realm1")
        XCTAssertNotEqual(identity.authid, "claimed-admin")
        XCTAssertNotNil(identity.authid.wholeMatch(of: /[345679ACEFGHJKLMNPQRSTUVWXY]{4}(-[345679ACEFGHJKLMNPQRSTUVWXY]{4}){5}/),
                        identity.authid)
        XCTAssertEqual(identity.authextra?.jsonText, #"{"x":1}"#, "Crossbar forwards HELLO authextra")
        XCTAssertTrue(flow.isFinished)
    }

    func testAnonymousAuthidsDiffer() throws {
        var first = AuthenticationFlow(configuration: .anonymousOnly, hello: AuthHello(realm: "r"), session: 1,
                                       transport: Fixture.transport)
        var second = AuthenticationFlow(configuration: .anonymousOnly, hello: AuthHello(realm: "r"), session: 2,
                                        transport: Fixture.transport)
        XCTAssertNotEqual(try XCTUnwrap(first.start().identity).authid, try XCTUnwrap(second.start().identity).authid)
    }

    func testTheClientsOrderDecidesAmongConfiguredMethods() {
        var config = ticketConfig
        config.wampcra = .principals(["joe": WampcraUser(secret: "pw", role: "user")])
        var flow = Fixture.flow(config, AuthHello(realm: "r", authmethods: ["cryptosign", "wampcra", "ticket"], authid: "joe"))
        XCTAssertEqual(flow.start().challengeMethod, .wampcra)
        XCTAssertEqual(flow.method, .wampcra)
        var other = Fixture.flow(config, AuthHello(realm: "r", authmethods: ["bogus", "ticket", "wampcra"], authid: "joe"))
        XCTAssertEqual(other.start().challengeMethod, .ticket, "unknown names are skipped")
    }

    func testNoMethodInCommonAborts() {
        var flow = Fixture.flow(ticketConfig, AuthHello(realm: "r", authmethods: ["anonymous", "wampcra"]))
        let action = flow.start()
        XCTAssertEqual(action.abortReason, "wamp.error.no_auth_method")
        XCTAssertTrue(flow.isFinished)
        var anonymousOnly = Fixture.flow(ticketConfig, AuthHello(realm: "r"))
        XCTAssertEqual(anonymousOnly.start().abortReason, "wamp.error.no_auth_method", "no authmethods = anonymous only")
    }

    // MARK: Ticket

    func testStaticTicketWelcomesIntoThePrincipalsRealm() throws {
        var flow = Fixture.flow(ticketConfig, AuthHello(realm: "realm1", authmethods: ["ticket"], authid: "joe"))
        XCTAssertEqual(flow.start().challengeExtra?.jsonText, "{}")
        XCTAssertTrue(flow.isAwaitingAuthenticate)
        let identity = try XCTUnwrap(flow.authenticate(signature: "joe-ticket-77", extra: .emptyObject).identity)
        XCTAssertEqual(identity.realm, "joes-realm")
        XCTAssertEqual(identity.authid, "joe")
        XCTAssertEqual(identity.authrole, "user")
        XCTAssertEqual(identity.authprovider, "static")
        let details = JSONValue.makeObject()
        identity.addWelcomeDetails(to: details)
        XCTAssertEqual(details.string("authmethod"), "ticket")
        XCTAssertEqual(details.string("authid"), "joe")
    }

    func testWrongTicketAndUnknownAuthidLookTheSame() {
        var wrong = Fixture.flow(ticketConfig, AuthHello(realm: "r", authmethods: ["ticket"], authid: "joe"))
        XCTAssertNotNil(wrong.start().challengeExtra)
        let wrongAction = wrong.authenticate(signature: "joe-ticket-78", extra: .emptyObject)
        var unknown = Fixture.flow(ticketConfig, AuthHello(realm: "r", authmethods: ["ticket"], authid: "nobody"))
        XCTAssertNotNil(unknown.start().challengeExtra, "challenged even for an unknown authid")
        let unknownAction = unknown.authenticate(signature: "joe-ticket-77", extra: .emptyObject)
        var noAuthid = Fixture.flow(ticketConfig, AuthHello(realm: "r", authmethods: ["ticket"]))
        _ = noAuthid.start()
        let noAuthidAction = noAuthid.authenticate(signature: "joe-ticket-77", extra: .emptyObject)
        for action in [wrongAction, unknownAction, noAuthidAction] {
            XCTAssertEqual(action.abortReason, "wamp.error.not_authorized")
            XCTAssertEqual(action.abortMessage, AuthenticationFlow.deniedMessage)
        }
    }

    func testAuthenticateOutOfStateIsAProtocolViolation() {
        var flow = Fixture.flow(ticketConfig, AuthHello(realm: "r", authmethods: ["ticket"], authid: "joe"))
        XCTAssertFalse(flow.isAwaitingAuthenticate)
        XCTAssertEqual(flow.authenticate(signature: "x", extra: .emptyObject).abortReason, "wamp.error.protocol_violation")
        var anonymous = Fixture.flow(.anonymousOnly, AuthHello(realm: "r"))
        XCTAssertNotNil(anonymous.start().identity)
        XCTAssertFalse(anonymous.isAwaitingAuthenticate)
        XCTAssertEqual(anonymous.authenticate(signature: "x", extra: .emptyObject).abortReason, "wamp.error.protocol_violation")
        var twice = Fixture.flow(ticketConfig, AuthHello(realm: "r", authmethods: ["ticket"], authid: "joe"))
        _ = twice.start()
        XCTAssertNotNil(twice.authenticate(signature: "joe-ticket-77", extra: .emptyObject).identity)
        XCTAssertEqual(twice.authenticate(signature: "joe-ticket-77", extra: .emptyObject).abortReason,
                       "wamp.error.protocol_violation")
    }

    func testDynamicTicketCallsTheAuthenticatorAfterAuthenticateWithCrossbarsArguments() throws {
        let authenticator = DynamicAuthenticator(procedure: "com.example.auth", realm: "authrealm")
        var flow = Fixture.flow(TransportAuthConfiguration(ticket: .dynamic(authenticator)),
                                AuthHello(realm: "realm1", authmethods: ["ticket"], authid: "joe",
                                          authextra: Fixture.object(#"{"k":"v"}"#)))
        XCTAssertNotNil(flow.start().challengeExtra)
        let (called, arguments) = try XCTUnwrap(flow.authenticate(signature: "tkt", extra: .emptyObject).invocation)
        XCTAssertEqual(called, authenticator)
        XCTAssertEqual(arguments.count, 3)
        XCTAssertEqual(arguments[0].stringValue, "realm1")
        XCTAssertEqual(arguments[1].stringValue, "joe")
        let details = arguments[2]
        XCTAssertEqual(details.string("ticket"), "tkt")
        XCTAssertEqual(details.string("authmethod"), "ticket")
        XCTAssertEqual(details.integer("session"), Int64(Fixture.session))
        XCTAssertEqual(details.object("transport")?.string("peer"), "tcp4:127.0.0.1:50321")
        XCTAssertEqual(details.object("authextra")?.string("k"), "v")
        XCTAssertTrue(flow.isAwaitingAuthenticator)
        let identity = try XCTUnwrap(flow.authenticatorReturned(.success(.string("user"))).identity)
        XCTAssertEqual(identity.authrole, "user")
        XCTAssertEqual(identity.authid, "joe")
        XCTAssertEqual(identity.realm, "realm1")
        XCTAssertEqual(identity.authprovider, "dynamic")
    }

    func testAuthenticatorDictMayMoveRealmOverrideAuthidAndAddExtra() throws {
        var flow = dynamicTicketAwaitingAnswer()
        let answer = Fixture.object(#"{"role":"admin","realm":"other","authid":"joseph","extra":{"tier":2}}"#)
        let identity = try XCTUnwrap(flow.authenticatorReturned(.success(answer)).identity)
        XCTAssertEqual(identity.realm, "other")
        XCTAssertEqual(identity.authid, "joseph")
        XCTAssertEqual(identity.authrole, "admin")
        XCTAssertEqual(identity.authextra?.integer("tier"), 2)
    }

    func testAuthenticatorFailuresAbortWithTheirURIs() {
        let cases: [(Swift.Result<JSONValue, AuthenticatorFailure>, String)] = [
            (.failure(.error(uri: "com.example.no_such_user", message: "no user joe")), "com.example.no_such_user"),
            (.failure(.timeout), "wamp.error.authentication_failed"),
            (.failure(.noSuchProcedure), "wamp.error.no_such_procedure"),
            (.success(.integer(3)), "wamp.error.authentication_failed"),
            (.success(.null), "wamp.error.authentication_failed"),
            (.success(Fixture.object(#"{"authid":"x"}"#)), "wamp.error.no_such_role"),
            (.success(Fixture.object(#"{"role":7}"#)), "wamp.error.authentication_failed"),
        ]
        for (result, reason) in cases {
            var flow = dynamicTicketAwaitingAnswer()
            let action = flow.authenticatorReturned(result)
            XCTAssertEqual(action.abortReason, reason, "\(result)")
            XCTAssertTrue(flow.isFinished)
        }
        var flow = dynamicTicketAwaitingAnswer()
        XCTAssertEqual(flow.authenticatorReturned(.failure(.error(uri: "a.b", message: "no user joe"))).abortMessage, "no user joe")
    }

    func testDynamicAnswerWithoutAnyAuthidIsNoSuchPrincipal() {
        let authenticator = DynamicAuthenticator(procedure: "auth", realm: "r")
        var flow = Fixture.flow(TransportAuthConfiguration(ticket: .dynamic(authenticator)),
                                AuthHello(realm: "r", authmethods: ["ticket"]))
        _ = flow.start()
        _ = flow.authenticate(signature: "t", extra: .emptyObject)
        XCTAssertEqual(flow.authenticatorReturned(.success(.string("user"))).abortReason, "wamp.error.no_such_principal")
    }

    func testPlacementRefusalsAbortWithRealmAndRoleURIs() {
        var noRole = Fixture.flow(.anonymousOnly, AuthHello(realm: "r"), placement: { _, _ in .noSuchRole })
        XCTAssertEqual(noRole.start().abortReason, "wamp.error.no_such_role")
        var noRealm = Fixture.flow(ticketConfig, AuthHello(realm: "r", authmethods: ["ticket"], authid: "joe"),
                                   placement: { realm, _ in realm == "joes-realm" ? .noSuchRealm : .allowed })
        _ = noRealm.start()
        XCTAssertEqual(noRealm.authenticate(signature: "joe-ticket-77", extra: .emptyObject).abortReason,
                       "wamp.error.no_such_realm")
    }

    func testDynamicAnonymousIsAskedWithTheGeneratedAuthid() throws {
        let authenticator = DynamicAuthenticator(procedure: "anon.auth", realm: "r")
        var flow = Fixture.flow(TransportAuthConfiguration(anonymous: .dynamic(authenticator)), AuthHello(realm: "r", authid: "me"))
        let (_, arguments) = try XCTUnwrap(flow.start().invocation)
        let authid = try XCTUnwrap(arguments[1].stringValue)
        XCTAssertNotEqual(authid, "me")
        XCTAssertEqual(arguments[2].string("authmethod"), "anonymous")
        XCTAssertFalse(arguments[2].contains("authid"))
        let identity = try XCTUnwrap(flow.authenticatorReturned(.success(.string("guest"))).identity)
        XCTAssertEqual(identity.authid, authid)
        XCTAssertEqual(identity.authrole, "guest")
    }

    func testAuthenticatorAnswerWithoutACallIsRefused() {
        var flow = Fixture.flow(.anonymousOnly, AuthHello(realm: "r"))
        XCTAssertEqual(flow.authenticatorReturned(.success(.string("x"))).abortReason, "wamp.error.authentication_failed")
    }

    func testHelloDetailsAreReadStrictly() throws {
        let good = try XCTUnwrap(AuthHello(Hello(realm: "r", details: Fixture.object(
            #"{"authmethods":["ticket","anonymous"],"authid":"joe","authrole":null,"authextra":{"pubkey":"ab"}}"#))))
        XCTAssertEqual(good.authmethods, ["ticket", "anonymous"])
        XCTAssertEqual(good.authid, "joe")
        XCTAssertNil(good.authrole)
        XCTAssertEqual(good.authextra?.string("pubkey"), "ab")
        XCTAssertEqual(try XCTUnwrap(AuthHello(Hello(realm: "r", details: .emptyObject))).effectiveMethods, ["anonymous"])
        for bad in [#"{"authmethods":"ticket"}"#, #"{"authmethods":[1]}"#, #"{"authid":5}"#, #"{"authextra":[]}"#] {
            XCTAssertNil(AuthHello(Hello(realm: "r", details: Fixture.object(bad))), bad)
        }
    }

    private func dynamicTicketAwaitingAnswer() -> AuthenticationFlow {
        let authenticator = DynamicAuthenticator(procedure: "auth", realm: "r")
        var flow = Fixture.flow(TransportAuthConfiguration(ticket: .dynamic(authenticator)),
                                AuthHello(realm: "realm1", authmethods: ["ticket"], authid: "joe"))
        _ = flow.start()
        _ = flow.authenticate(signature: "t", extra: .emptyObject)
        return flow
    }
}
