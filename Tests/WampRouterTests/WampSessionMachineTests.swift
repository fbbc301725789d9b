import NIOWebSocket
import Realm
import WampAuth
import WampMessages
import XCTest

@testable import WampRouter

/// The session machine on values: every transition, with a scripted authentication flow.
final class WampSessionMachineTests: XCTestCase {
    typealias Machine = WampSessionMachine<ScriptedAuthentication>

    private let peer = DiscardingPeer()

    private func machine(script: [AuthenticationAction], realms: RealmRegistry? = nil) -> Machine {
        let registry = realms ?? RealmRegistry(realmNames: ["realm1"])
        let box = ScriptBox(steps: script)
        return Machine(realms: registry, peer: peer) { _, _ in ScriptedAuthentication(box: box) }
    }

    private func hello(realm: String = "realm1") -> WampMessage {
        let details = JSONValue.makeObject()
        let roles = JSONValue.makeObject()
        roles.set("caller", .makeObject())
        details.set("roles", roles)
        return .hello(Hello(realm: realm, details: details))
    }

    private static let anonymous = AuthIdentity(
        realm: "realm1", authid: "a-1", authrole: "anonymous", authmethod: .anonymous, authprovider: "static")

    func testAnonymousHelloJoinsTheRealm() {
        var machine = machine(script: [.welcome(Self.anonymous)])
        let actions = machine.received(hello())
        guard actions.count == 1, case .join(let realm, let session) = actions[0] else { return XCTFail("\(actions)") }
        XCTAssertEqual(realm.name, "realm1")
        XCTAssertEqual(session.authid, "a-1")
        XCTAssertEqual(session.authrole, "anonymous")
        XCTAssertTrue(machine.isEstablished(session))
        XCTAssertFalse(machine.isHandshaking)
    }

    func testChallengeThenAuthenticateThenWelcome() {
        var identity = Self.anonymous
        identity.authmethod = .ticket
        var machine = machine(script: [.challenge(method: .ticket, extra: .makeObject()), .welcome(identity)])
        let first = machine.received(hello())
        guard first.count == 1, case .send(.challenge(let challenge)) = first[0] else { return XCTFail("\(first)") }
        XCTAssertEqual(challenge.authMethod, "ticket")
        XCTAssertTrue(machine.isHandshaking)
        let second = machine.received(.authenticate(Authenticate(signature: "t", extra: .makeObject())))
        guard second.count == 1, case .join(_, let session) = second[0] else { return XCTFail("\(second)") }
        XCTAssertEqual(session.authmethod, "ticket")
    }

    func testNothingIsRoutedBeforeWelcome() {
        var machine = machine(script: [.challenge(method: .ticket, extra: .makeObject())])
        let call = WampMessage.call(Call(request: 1, options: .makeObject(), procedure: "p", payload: .empty))
        XCTAssertNil(machine.routing(call))
        _ = machine.received(hello())
        XCTAssertNil(machine.routing(call))
    }

    func testAuthenticateBeforeHelloIsAProtocolViolation() {
        var machine = machine(script: [])
        let actions = machine.received(.authenticate(Authenticate(signature: "x", extra: .makeObject())))
        XCTAssertEqual(abortReason(actions), ErrorURI.protocolViolation)
        XCTAssertTrue(actions.contains { if case .protocolViolation = $0 { return true } else { return false } })
    }

    func testAuthenticateTheFlowDoesNotExpectIsAProtocolViolationAndGivesTheIDBack() {
        // The flow is waiting for its authenticator, not for AUTHENTICATE.
        var machine = machine(script: [.invokeAuthenticator(DynamicAuthenticator(procedure: "auth", realm: "realm1"), arguments: [])])
        _ = machine.received(hello())
        let actions = machine.received(.authenticate(Authenticate(signature: "x", extra: .makeObject())))
        XCTAssertEqual(abortReason(actions), ErrorURI.protocolViolation)
        XCTAssertTrue(actions.contains { if case .releaseSessionID = $0 { return true } else { return false } })
    }

    func testOtherMessagesDuringAuthenticationAreProtocolViolations() {
        var machine = machine(script: [.challenge(method: .wampcra, extra: .makeObject())])
        _ = machine.received(hello())
        let actions = machine.received(.call(Call(request: 1, options: .makeObject(), procedure: "p", payload: .empty)))
        XCTAssertEqual(abortReason(actions), ErrorURI.protocolViolation)
    }

    func testAuthenticatorAnswerIsFedToTheFlow() {
        var machine = machine(script: [
            .invokeAuthenticator(DynamicAuthenticator(procedure: "auth", realm: "realm1"), arguments: []),
            .welcome(Self.anonymous),
        ])
        let first = machine.received(hello())
        guard case .callAuthenticator(let authenticator, _) = first.first else { return XCTFail("\(first)") }
        XCTAssertEqual(authenticator.procedure, "auth")
        let second = machine.authenticatorReturned(.success(JSONValue.parse("[\"anonymous\"]")!.element(0)!))
        guard case .join = second.first else { return XCTFail("\(second)") }
    }

    func testRefusalAbortsAndGivesTheReservedIDBack() {
        var machine = machine(script: [.abort(reason: ErrorURI.notAuthorized, message: "no", logDetail: "wrong ticket")])
        let actions = machine.received(hello())
        guard actions.count == 3, case .authenticationRefused = actions[0], case .releaseSessionID = actions[1],
              case .abort(let abort, _, let failed) = actions[2] else { return XCTFail("\(actions)") }
        XCTAssertEqual(abort.reason, ErrorURI.notAuthorized)
        XCTAssertTrue(failed)
        XCTAssertTrue(machine.received(hello()).isEmpty, "a closing session ignores what follows")
    }

    func testUnknownRealmAndRoleAbort() {
        let roles: [String: RoleDefinition] = ["backend": .permissions([])]
        let registry = RealmRegistry(realmNames: ["realm1"], rolesByRealm: ["realm1": roles])
        var wrongRealm = Self.anonymous
        wrongRealm.realm = "nowhere"
        var first = machine(script: [.welcome(wrongRealm)], realms: registry)
        XCTAssertEqual(abortReason(first.received(hello())), ErrorURI.noSuchRealm)
        var second = machine(script: [.welcome(Self.anonymous)], realms: registry)
        XCTAssertEqual(abortReason(second.received(hello())), ErrorURI.noSuchRole)
    }

    func testGoodbyeLeavesAndAllowsANewSession() {
        var machine = machine(script: [.welcome(Self.anonymous), .welcome(Self.anonymous)])
        _ = machine.received(hello())
        let actions = machine.received(.goodbye(Goodbye(details: .makeObject(), reason: ErrorURI.closeRealm)))
        guard actions.count == 2, case .leave = actions[0], case .send(.goodbye) = actions[1] else { return XCTFail("\(actions)") }
        guard case .join = machine.received(hello()).first else { return XCTFail("a second HELLO opens a new session") }
    }

    func testKillSaysGoodbyeAndWaitsForTheReply() {
        var machine = machine(script: [.welcome(Self.anonymous)])
        _ = machine.received(hello())
        let actions = machine.endSession(reason: ErrorURI.killed, message: "bye", closeCode: .normalClosure)
        guard actions.count == 3, case .leave = actions[0], case .send(.goodbye(let goodbye)) = actions[1],
              case .waitForGoodbyeReply = actions[2] else { return XCTFail("\(actions)") }
        XCTAssertEqual(goodbye.reason, ErrorURI.killed)
        guard case .close(.normalClosure) = machine.received(.goodbye(Goodbye(details: .makeObject(), reason: ErrorURI.goodbyeAndOut))).first else {
            return XCTFail("the reply closes the connection")
        }
        XCTAssertTrue(machine.goodbyeReplyTimedOut().isEmpty, "nothing is left to time out")
    }

    func testHandshakeTimeoutOnlyBeforeWelcome() {
        var waiting = machine(script: [.challenge(method: .ticket, extra: .makeObject())])
        _ = waiting.received(hello())
        XCTAssertEqual(abortReason(waiting.handshakeTimedOut(timeout: "10 s")), ErrorURI.timeout)
        var established = machine(script: [.welcome(Self.anonymous)])
        _ = established.received(hello())
        XCTAssertTrue(established.handshakeTimedOut(timeout: "10 s").isEmpty)
    }

    func testTransportCloseLeavesTheRealmOnce() {
        var machine = machine(script: [.welcome(Self.anonymous)])
        _ = machine.received(hello())
        guard case .leave = machine.transportClosed().first else { return XCTFail("leaves on close") }
        XCTAssertTrue(machine.transportClosed().isEmpty)
    }

    func testRoutedMessagesAreDispatchedOnlyWhenEstablished() {
        var machine = machine(script: [.welcome(Self.anonymous)])
        _ = machine.received(hello())
        let call = WampMessage.call(Call(request: 1, options: .makeObject(), procedure: "p", payload: .empty))
        guard case .dispatch = machine.received(call).first else { return XCTFail("dispatches") }
        XCTAssertNotNil(machine.routing(call), "the fast path agrees")
        XCTAssertNil(machine.routing(hello()), "HELLO is the machine's")
        XCTAssertEqual(abortReason(machine.received(hello())), ErrorURI.protocolViolation)
    }

    private func abortReason(_ actions: [Machine.Action]) -> String? {
        for action in actions {
            if case .abort(let abort, _, _) = action { return abort.reason }
        }
        return nil
    }
}

/// The steps a scripted flow hands out, in order, whatever it is asked.
final class ScriptBox: @unchecked Sendable {
    var steps: [AuthenticationAction]
    var expectingAuthenticate = false
    init(steps: [AuthenticationAction]) { self.steps = steps }

    func next() -> AuthenticationAction {
        let step = steps.isEmpty ? .abort(reason: "test.script_ended", message: "", logDetail: "") : steps.removeFirst()
        if case .challenge = step { expectingAuthenticate = true } else { expectingAuthenticate = false }
        return step
    }
}

struct ScriptedAuthentication: SessionAuthentication {
    let box: ScriptBox
    mutating func start() -> AuthenticationAction { box.next() }
    mutating func authenticate(_ message: Authenticate) -> AuthenticationAction? {
        box.expectingAuthenticate ? box.next() : nil
    }
    mutating func authenticatorReturned(_ result: Swift.Result<JSONValue, AuthenticatorFailure>) -> AuthenticationAction { box.next() }
}

final class DiscardingPeer: Peer {
    func send(_ message: EncodedMessage) {}
    func kill(reason: String, message: String?) {}
}
