import XCTest
import WampAuth
import WampMessages
@testable import WampClient

/// The client's side of authentication on values: HELLO details from credentials, CHALLENGE to
/// AUTHENTICATE, and the whole exchange against the router's `AuthenticationFlow`.
final class ClientAuthenticationTests: XCTestCase {
    /// Seed of the spec's first cryptosign test vector.
    let seedHex = "4d57d97a68f555696620a6d849c0ce582568518d729eb753dc7c732de2804510"

    func testHelloDetailsOfferTheMethodsInOrderWithAuthidAndPubkey() throws {
        let seed = try XCTUnwrap(Hex.decode(seedHex))
        let credentials = WampClient.Credentials(authid: "joe", methods: [.cryptosign(seed: seed), .ticket("t"), .anonymous],
                                                 authextra: ["device": "d1"])
        let details = JSONValue.makeObject()
        credentials.addHelloDetails(to: details)
        XCTAssertEqual(details.value("authmethods")?.stringArray, ["cryptosign", "ticket", "anonymous"])
        XCTAssertEqual(details.string("authid"), "joe")
        let publicKey = Hex.encode(try XCTUnwrap(Cryptosign.privateKey(seedHex: seedHex)).publicKey.rawRepresentation)
        XCTAssertEqual(details.object("authextra")?.string("pubkey"), publicKey)
        XCTAssertEqual(details.object("authextra")?.string("device"), "d1")
        XCTAssertFalse(details.jsonText.contains(seedHex), "the private key stays home")
        XCTAssertFalse("\(credentials)".contains("\"t\""))
        XCTAssertNil(WampClient.Credentials.cryptosign(seedHex: "abcd"))
    }

    func testTicketAndWampcraAnswers() throws {
        let ticket = ChallengeResponder.reply(to: Challenge(authMethod: "ticket", extra: .emptyObject),
                                              credentials: .ticket(authid: "joe", ticket: "s3cret"))
        guard case .authenticate(let authenticate) = ticket else { return XCTFail("\(ticket.code.name)") }
        XCTAssertEqual(authenticate.signature, "s3cret")

        let extra = JSONValue.makeObject()
        extra.set("challenge", string: "[1, 2, 3]")
        let cra = ChallengeResponder.answer(Challenge(authMethod: "wampcra", extra: extra),
                                            .wampcra(authid: "joe", secret: "L3L1YUE8Txlw"))
        // autobahn-python test_wamp_auth.py `test_compute_wcs`.
        XCTAssertEqual(cra, .success("1njQtmmeYO41N5EWEzD2kAjjEKRZ5kPZt/TzpYXOzR0="))

        extra.set("salt", string: "salt123")
        extra.set("iterations", integer: 1000)
        extra.set("keylen", integer: 32)
        let salted = ChallengeResponder.answer(Challenge(authMethod: "wampcra", extra: extra),
                                               .wampcra(authid: "joe", secret: "L3L1YUE8Txlw"))
        // Keyed with autobahn's derive_key("L3L1YUE8Txlw", "salt123") (test_wamp_auth.py `test_derive_key`).
        XCTAssertEqual(salted, .success(WampCRA.sign(challenge: "[1, 2, 3]", key: "qzcdsr9uu/L5hnss3kjNTRe490ETgA70ZBaB5rvnJ5Y=")))
    }

    func testUnanswerableChallengesAbortWithCannotAuthenticate() throws {
        let hostileSalting = Fixture.object(#"{"challenge":"x","salt":"s","iterations":1000000000000,"keylen":32}"#)
        let cases: [(Challenge, WampClient.Credentials?)] = [
            (Challenge(authMethod: "ticket", extra: .emptyObject), nil),
            (Challenge(authMethod: "wampcra", extra: .emptyObject), .ticket(authid: "a", ticket: "t")),
            (Challenge(authMethod: "wampcra", extra: .emptyObject), .wampcra(authid: "a", secret: "s")),
            (Challenge(authMethod: "wampcra", extra: hostileSalting), .wampcra(authid: "a", secret: "s")),
            (Challenge(authMethod: "cryptosign", extra: Fixture.object(#"{"challenge":"abcd"}"#)),
             .cryptosign(seedHex: seedHex)),
            (Challenge(authMethod: "cryptosign", extra: Fixture.object(
                #"{"challenge":"\#(String(repeating: "00", count: 32))","channel_binding":"tls-unique"}"#)),
             .cryptosign(seedHex: seedHex)),
        ]
        for (challenge, credentials) in cases {
            let reply = ChallengeResponder.reply(to: challenge, credentials: credentials)
            guard case .abort(let abort) = reply else { return XCTFail("\(challenge.extra.jsonText) answered") }
            XCTAssertEqual(abort.reason, "wamp.error.cannot_authenticate")
            XCTAssertFalse(abort.details.jsonText.contains("\"s\""))
        }
    }

    /// Each method end to end: the client's answers against the router's flow.
    func testEveryMethodAuthenticatesAgainstTheRoutersFlow() throws {
        let publicKey = Hex.encode(try XCTUnwrap(Cryptosign.privateKey(seedHex: seedHex)).publicKey.rawRepresentation)
        let configuration = TransportAuthConfiguration(
            ticket: .principals(["joe": TicketPrincipal(ticket: "t1", role: "user")]),
            wampcra: .principals(["peter": WampcraUser(secret: "pw", role: "user"),
                                  "salty": WampcraUser(secret: "pw2", role: "user", salt: "NaCl", iterations: 50, keylen: 20)]),
            cryptosign: .principals(["dev": CryptosignPrincipal(realm: "devices", role: "device", authorizedKeys: [publicKey])]))
        let cases: [(WampClient.Credentials, String)] = [
            (.ticket(authid: "joe", ticket: "t1"), "joe"),
            (.wampcra(authid: "peter", secret: "pw"), "peter"),
            (.wampcra(authid: "salty", secret: "pw2"), "salty"),
            (try XCTUnwrap(.cryptosign(seedHex: seedHex)), "dev"),
        ]
        for (credentials, authid) in cases {
            XCTAssertEqual(try exchange(credentials, configuration)?.authid, authid, "\(credentials)")
            // And a wrong secret of the same kind is refused.
            let wrong: WampClient.Credentials = switch credentials.methods[0] {
            case .ticket: .ticket(authid: authid, ticket: "nope")
            case .wampcra: .wampcra(authid: authid, secret: "nope")
            default: try XCTUnwrap(.cryptosign(seedHex: String(repeating: "42", count: 32)))
            }
            XCTAssertNil(try exchange(wrong, configuration), "\(wrong)")
        }
    }

    func testClientStateAnswersChallengesOnlyWhileJoiningAndFailsTheJoinOnItsOwnAbort() async throws {
        let state = ClientState(credentials: .ticket(authid: "joe", ticket: "t"))
        XCTAssertNil(state.reply(to: Challenge(authMethod: "ticket", extra: .emptyObject)), "not joining")
        let join = Task {
            try await withCheckedThrowingContinuation { continuation in state.awaitWelcome(continuation) }
        }
        // Wait (bounded) until the join is registered.
        for _ in 0..<1_000 where state.reply(to: Challenge(authMethod: "ticket", extra: .emptyObject)) == nil {
            try await Task.sleep(for: .milliseconds(1))
        }
        guard case .authenticate(let answer)? = state.reply(to: Challenge(authMethod: "ticket", extra: .emptyObject)) else {
            return XCTFail("no AUTHENTICATE while joining")
        }
        XCTAssertEqual(answer.signature, "t")
        state.receive(.challenge(Challenge(authMethod: "cryptosign", extra: .emptyObject)))
        do {
            _ = try await join.value
            XCTFail("joined after an unanswerable challenge")
        } catch let error as WampClientError {
            XCTAssertEqual(error.uri, "wamp.error.cannot_authenticate")
        }
    }

    /// Runs HELLO → (CHALLENGE → AUTHENTICATE)* → WELCOME/ABORT between the client's responder
    /// and the router's flow; the identity, or nil for an ABORT.
    private func exchange(_ credentials: WampClient.Credentials, _ configuration: TransportAuthConfiguration) throws -> AuthIdentity? {
        let details = JSONValue.makeObject()
        credentials.addHelloDetails(to: details)
        let hello = try XCTUnwrap(AuthHello(Hello(realm: "realm1", details: details)))
        var flow = AuthenticationFlow(configuration: configuration, hello: hello, session: 77,
                                      transport: AuthTransportInfo(peer: "tcp4:127.0.0.1:1", isSecure: false))
        var action = flow.start()
        for _ in 0..<3 {
            switch action {
            case .welcome(let identity):
                return identity
            case .abort:
                return nil
            case .challenge(let method, let extra):
                let reply = ChallengeResponder.reply(to: Challenge(authMethod: method.rawValue, extra: extra), credentials: credentials)
                guard case .authenticate(let authenticate) = reply else { return nil }
                action = flow.authenticate(signature: authenticate.signature, extra: authenticate.extra)
            case .invokeAuthenticator:
                XCTFail("static configuration called an authenticator")
                return nil
            }
        }
        XCTFail("no outcome after three rounds")
        return nil
    }
}

private enum Fixture {
    static func object(_ text: String) -> JSONValue { JSONValue.parse(text)! }
}
