import XCTest
import WampMessages
@testable import WampAuth

/// WAMP-CRA and cryptosign through `AuthenticationFlow`, answered the way a client computes it.
final class ChallengeFlowTests: XCTestCase {
    let craConfig = TransportAuthConfiguration(wampcra: .principals([
        "peter": WampcraUser(secret: "secret1", role: "frontend"),
        "salty": WampcraUser(secret: "L3L1YUE8Txlw", role: "backend", realm: "salts", salt: "salt123", iterations: 100, keylen: 16),
    ]))

    // MARK: WAMP-CRA

    func testWampcraChallengeCarriesTheSpecMembersAndAcceptsTheRightSignature() throws {
        var flow = Fixture.flow(craConfig, AuthHello(realm: "realm1", authmethods: ["wampcra"], authid: "peter"))
        let extra = try XCTUnwrap(flow.start().challengeExtra)
        XCTAssertFalse(extra.contains("salt"))
        let text = try XCTUnwrap(extra.string("challenge"))
        let challenge = try XCTUnwrap(JSONValue.parse(text))
        XCTAssertEqual(challenge.string("authid"), "peter")
        XCTAssertEqual(challenge.string("authrole"), "frontend")
        XCTAssertEqual(challenge.string("authmethod"), "wampcra")
        XCTAssertEqual(challenge.string("authprovider"), "static")
        XCTAssertEqual(challenge.integer("session"), Int64(Fixture.session))
        XCTAssertEqual(challenge.string("timestamp"), "2014-06-22T16:36:25.448Z")
        XCTAssertEqual(challenge.string("nonce"), Base64Text.encode((0..<48).map(UInt8.init)), "48 random bytes")
        let signature = WampCRA.sign(challenge: text, key: "secret1")
        let identity = try XCTUnwrap(flow.authenticate(signature: signature, extra: .emptyObject).identity)
        XCTAssertEqual(identity.authid, "peter")
        XCTAssertEqual(identity.authrole, "frontend")
        XCTAssertEqual(identity.authmethod, .wampcra)
        XCTAssertNil(identity.authextra)
    }

    func testWampcraWrongSignatureAndUnknownUserAreDenied() throws {
        var flow = Fixture.flow(craConfig, AuthHello(realm: "r", authmethods: ["wampcra"], authid: "peter"))
        let text = try XCTUnwrap(flow.start().challengeExtra?.string("challenge"))
        let wrong = flow.authenticate(signature: WampCRA.sign(challenge: text, key: "secret2"), extra: .emptyObject)
        XCTAssertEqual(wrong.abortReason, "wamp.error.not_authorized")
        XCTAssertEqual(wrong.abortMessage, AuthenticationFlow.deniedMessage)
        var unknown = Fixture.flow(craConfig, AuthHello(realm: "r", authmethods: ["wampcra"], authid: "paul"))
        XCTAssertEqual(unknown.start().abortMessage, AuthenticationFlow.deniedMessage)
        var none = Fixture.flow(craConfig, AuthHello(realm: "r", authmethods: ["wampcra"]))
        XCTAssertEqual(none.start().abortReason, "wamp.error.not_authorized")
    }

    func testSaltedWampcraAnnouncesSaltingAndAcceptsTheDerivedKeysSignature() throws {
        var flow = Fixture.flow(craConfig, AuthHello(realm: "r", authmethods: ["wampcra"], authid: "salty"))
        let extra = try XCTUnwrap(flow.start().challengeExtra)
        XCTAssertEqual(extra.string("salt"), "salt123")
        XCTAssertEqual(extra.integer("iterations"), 100)
        XCTAssertEqual(extra.integer("keylen"), 16)
        let text = try XCTUnwrap(extra.string("challenge"))
        // The client side: salting read back from CHALLENGE.Extra, key derived from the password.
        let salting = try XCTUnwrap(WampCRA.salting(inChallengeExtra: extra))
        var unsaltedAnswer = flow
        XCTAssertEqual(unsaltedAnswer.authenticate(signature: WampCRA.sign(challenge: text, key: "L3L1YUE8Txlw"),
                                                   extra: .emptyObject).abortReason, "wamp.error.not_authorized")
        let signature = try XCTUnwrap(WampCRA.signature(challenge: text, secret: "L3L1YUE8Txlw", salting: salting))
        let identity = try XCTUnwrap(flow.authenticate(signature: signature, extra: .emptyObject).identity)
        XCTAssertEqual(identity.realm, "salts")
    }

    func testDynamicWampcraIsCalledAtHelloAndChallengesWithTheAnswersSecret() throws {
        let authenticator = DynamicAuthenticator(procedure: "com.example.cra", realm: "auth")
        var flow = Fixture.flow(TransportAuthConfiguration(wampcra: .dynamic(authenticator)),
                                AuthHello(realm: "realm1", authmethods: ["wampcra"], authid: "peter", authrole: "wish"))
        let (_, arguments) = try XCTUnwrap(flow.start().invocation)
        XCTAssertEqual(arguments[0].stringValue, "realm1")
        XCTAssertEqual(arguments[1].stringValue, "peter")
        XCTAssertEqual(arguments[2].string("authmethod"), "wampcra")
        XCTAssertEqual(arguments[2].string("authid"), "peter")
        XCTAssertEqual(arguments[2].string("authrole"), "wish")
        let answer = Fixture.object(#"{"secret":"L3L1YUE8Txlw","role":"frontend","salt":"salt123","iterations":10,"keylen":32}"#)
        let extra = try XCTUnwrap(flow.authenticatorReturned(.success(answer)).challengeExtra)
        let text = try XCTUnwrap(extra.string("challenge"))
        XCTAssertEqual(JSONValue.parse(text)?.string("authprovider"), "dynamic")
        let signature = try XCTUnwrap(WampCRA.signature(challenge: text, secret: "L3L1YUE8Txlw",
                                                        salting: WampCRA.salting(inChallengeExtra: extra)))
        let identity = try XCTUnwrap(flow.authenticate(signature: signature, extra: .emptyObject).identity)
        XCTAssertEqual(identity.authprovider, "dynamic")
        XCTAssertEqual(identity.authrole, "frontend")
    }

    func testDynamicWampcraAnswerWithoutSecretFails() {
        let authenticator = DynamicAuthenticator(procedure: "com.example.cra", realm: "auth")
        var flow = Fixture.flow(TransportAuthConfiguration(wampcra: .dynamic(authenticator)),
                                AuthHello(realm: "r", authmethods: ["wampcra"], authid: "peter"))
        _ = flow.start()
        XCTAssertEqual(flow.authenticatorReturned(.success(.string("frontend"))).abortReason, "wamp.error.authentication_failed")
    }

    // MARK: Cryptosign

    var cryptosignConfig: TransportAuthConfiguration {
        TransportAuthConfiguration(cryptosign: .principals([
            "client01@example.com": CryptosignPrincipal(realm: "devices", role: "device",
                                                        authorizedKeys: [Fixture.publicKeyHex.uppercased()]),
            "other": CryptosignPrincipal(role: "user", authorizedKeys: [String(repeating: "11", count: 32)]),
        ]))
    }

    func testCryptosignWithAuthidAndKeySignsTheChallenge() throws {
        var flow = Fixture.flow(cryptosignConfig, AuthHello(
            realm: "realm1", authmethods: ["cryptosign"], authid: "client01@example.com",
            authextra: Fixture.object(#"{"pubkey":"\#(Fixture.publicKeyHex)"}"#)))
        let extra = try XCTUnwrap(flow.start().challengeExtra)
        XCTAssertEqual(extra.string("challenge"), Hex.encode((0..<32).map(UInt8.init)))
        XCTAssertEqual(extra.value("channel_binding")?.isNull, true)
        let identity = try XCTUnwrap(flow.authenticate(signature: sign(extra), extra: .emptyObject).identity)
        XCTAssertEqual(identity.realm, "devices", "the principal's realm places the session")
        XCTAssertEqual(identity.authrole, "device")
        XCTAssertEqual(identity.authmethod, .cryptosign)
    }

    func testCryptosignWithOnlyAPubkeyFindsThePrincipal() throws {
        var flow = Fixture.flow(cryptosignConfig, AuthHello(realm: "devices", authmethods: ["cryptosign"],
                                                            authextra: Fixture.object(#"{"pubkey":"\#(Fixture.publicKeyHex)"}"#)))
        let extra = try XCTUnwrap(flow.start().challengeExtra)
        XCTAssertEqual(try XCTUnwrap(flow.authenticate(signature: sign(extra), extra: .emptyObject).identity).authid,
                       "client01@example.com")
    }

    func testCryptosignRefusals() throws {
        let key = Fixture.publicKeyHex
        let hellos: [AuthHello] = [
            AuthHello(realm: "r", authmethods: ["cryptosign"], authid: "other", authextra: Fixture.object(#"{"pubkey":"\#(key)"}"#)),
            AuthHello(realm: "r", authmethods: ["cryptosign"], authid: "nobody", authextra: Fixture.object(#"{"pubkey":"\#(key)"}"#)),
            AuthHello(realm: "r", authmethods: ["cryptosign"], authextra: Fixture.object(#"{"pubkey":"\#(String(repeating: "22", count: 32))"}"#)),
            AuthHello(realm: "r", authmethods: ["cryptosign"], authid: "client01@example.com"),
            AuthHello(realm: "r", authmethods: ["cryptosign"], authextra: Fixture.object(#"{"pubkey":"xyz"}"#)),
        ]
        for hello in hellos {
            var flow = Fixture.flow(cryptosignConfig, hello)
            XCTAssertEqual(flow.start().abortReason, "wamp.error.not_authorized", "\(hello.authid ?? "-")")
        }
        // Two principals with the same key and no authid: ambiguous.
        var shared = cryptosignConfig
        shared.cryptosign = .principals([
            "a": CryptosignPrincipal(role: "r", authorizedKeys: [key]),
            "b": CryptosignPrincipal(role: "r", authorizedKeys: [key]),
        ])
        var ambiguous = Fixture.flow(shared, AuthHello(realm: "r", authmethods: ["cryptosign"],
                                                       authextra: Fixture.object(#"{"pubkey":"\#(key)"}"#)))
        XCTAssertEqual(ambiguous.start().abortMessage, AuthenticationFlow.deniedMessage)
    }

    func testCryptosignBadSignatureIsDenied() throws {
        var flow = Fixture.flow(cryptosignConfig, AuthHello(realm: "r", authmethods: ["cryptosign"],
                                                            authextra: Fixture.object(#"{"pubkey":"\#(Fixture.publicKeyHex)"}"#)))
        let extra = try XCTUnwrap(flow.start().challengeExtra)
        // A valid signature over a different challenge.
        let otherChallenge = [UInt8](repeating: 7, count: 32)
        let forged = try XCTUnwrap(Cryptosign.sign(challenge: otherChallenge, channelBinding: nil,
                                                   privateKey: Cryptosign.privateKey(seedHex: Fixture.seed)!))
        XCTAssertNotEqual(forged, try sign(extra))
        XCTAssertEqual(flow.authenticate(signature: forged, extra: .emptyObject).abortMessage, AuthenticationFlow.deniedMessage)
    }

    func testChannelBindingIsXoredIntoTheSignedMessage() throws {
        let binding = ChannelBinding(type: "tls-exporter", data: (0..<32).map { UInt8(255 - $0) })
        let hello = AuthHello(realm: "r", authmethods: ["cryptosign"], authextra: Fixture.object(
            #"{"pubkey":"\#(Fixture.publicKeyHex)","channel_binding":"tls-exporter"}"#))
        var flow = Fixture.flow(cryptosignConfig, hello, channelBinding: binding)
        let extra = try XCTUnwrap(flow.start().challengeExtra)
        XCTAssertEqual(extra.string("channel_binding"), "tls-exporter")
        var unbound = flow
        XCTAssertEqual(unbound.authenticate(signature: try sign(extra), extra: .emptyObject).abortReason,
                       "wamp.error.not_authorized", "a signature without the binding fails")
        XCTAssertNotNil(flow.authenticate(signature: try sign(extra, binding: binding.data), extra: .emptyObject).identity)
    }

    func testChannelBindingThatCannotBeHonouredAborts() {
        let unique = ChannelBinding(type: "tls-unique", data: [UInt8](repeating: 1, count: 32))
        let cases: [(String, ChannelBinding?, String)] = [
            (#""tls-exporter""#, nil, "not available"),
            (#""tls-exporter""#, unique, "not available"),
            (#""tls-bogus""#, unique, "invalid channel binding"),
            ("42", nil, "invalid channel binding"),
        ]
        for (requested, offered, text) in cases {
            let hello = AuthHello(realm: "r", authmethods: ["cryptosign"], authextra: Fixture.object(
                #"{"pubkey":"\#(Fixture.publicKeyHex)","channel_binding":\#(requested)}"#))
            var flow = Fixture.flow(cryptosignConfig, hello, channelBinding: offered)
            let action = flow.start()
            XCTAssertEqual(action.abortReason, "wamp.error.not_authorized", requested)
            XCTAssertTrue(action.abortMessage?.contains(text) == true, action.abortMessage ?? "")
        }
    }

    func testDynamicCryptosignIsCalledAtHelloWithThePubkey() throws {
        let authenticator = DynamicAuthenticator(procedure: "com.example.cs", realm: "auth")
        var flow = Fixture.flow(TransportAuthConfiguration(cryptosign: .dynamic(authenticator)),
                                AuthHello(realm: "realm1", authmethods: ["cryptosign"],
                                          authextra: Fixture.object(#"{"pubkey":"\#(Fixture.publicKeyHex)"}"#)))
        let (_, arguments) = try XCTUnwrap(flow.start().invocation)
        XCTAssertEqual(arguments[1].isNull, true, "no authid in HELLO")
        XCTAssertEqual(arguments[2].object("authextra")?.string("pubkey"), Fixture.publicKeyHex)
        XCTAssertEqual(arguments[2].string("authmethod"), "cryptosign")
        let answer = Fixture.object(#"{"pubkey":"\#(Fixture.publicKeyHex)","role":"device","authid":"dev-1","realm":"devices"}"#)
        let extra = try XCTUnwrap(flow.authenticatorReturned(.success(answer)).challengeExtra)
        let identity = try XCTUnwrap(flow.authenticate(signature: sign(extra), extra: .emptyObject).identity)
        XCTAssertEqual(identity.authid, "dev-1")
        XCTAssertEqual(identity.realm, "devices")
        XCTAssertEqual(identity.authprovider, "dynamic")
        var noKey = Fixture.flow(TransportAuthConfiguration(cryptosign: .dynamic(authenticator)),
                                 AuthHello(realm: "realm1", authmethods: ["cryptosign"], authid: "dev-1"))
        _ = noKey.start()
        XCTAssertEqual(noKey.authenticatorReturned(.success(.string("device"))).abortReason, "wamp.error.authentication_failed")
    }

    // MARK: Secrets

    /// No action description, message, log detail or challenge ever contains a secret, whatever
    /// the outcome.
    func testSecretsNeverAppearInAnyVisibleText() throws {
        let secret = "TOPSECRET-4b1d"
        let config = TransportAuthConfiguration(
            ticket: .principals(["joe": TicketPrincipal(ticket: secret, role: "user")]),
            wampcra: .principals(["joe": WampcraUser(secret: secret, role: "user"),
                                  "salty": WampcraUser(secret: secret, role: "user", salt: "s", iterations: 10, keylen: 16)]))
        var actions: [AuthenticationAction] = []
        for (method, authid) in [("ticket", "joe"), ("wampcra", "joe"), ("wampcra", "salty")] {
            for answer in [secret, secret + "x", "wrong"] {
                var flow = Fixture.flow(config, AuthHello(realm: "r", authmethods: [method], authid: authid))
                let first = flow.start()
                actions.append(first)
                var presented = answer
                if method == "wampcra", let extra = first.challengeExtra, let text = extra.string("challenge") {
                    presented = WampCRA.signature(challenge: text, secret: answer,
                                                  salting: WampCRA.salting(inChallengeExtra: extra)) ?? ""
                }
                actions.append(flow.authenticate(signature: presented, extra: .emptyObject))
                actions.append(flow.authenticate(signature: secret, extra: .emptyObject))
            }
        }
        let dynamic = DynamicAuthenticator(procedure: "auth", realm: "r")
        var flow = Fixture.flow(TransportAuthConfiguration(ticket: .dynamic(dynamic)), AuthHello(realm: "r", authmethods: ["ticket"]))
        _ = flow.start()
        let invocation = flow.authenticate(signature: secret, extra: .emptyObject)
        XCTAssertEqual(try XCTUnwrap(invocation.invocation).1[2].string("ticket"), secret, "the authenticator gets it")
        actions.append(invocation)
        actions.append(flow.authenticatorReturned(.failure(.timeout)))
        XCTAssertTrue(actions.contains { $0.identity != nil })
        XCTAssertTrue(actions.contains { $0.abortReason == "wamp.error.not_authorized" })
        for action in actions {
            XCTAssertFalse(action.visibleText.contains(secret), action.visibleText)
            XCTAssertFalse("\(action)".contains(secret))
            if let identity = action.identity { XCTAssertFalse("\(identity)".contains(secret)) }
        }
        XCTAssertFalse("\(config)".contains(secret))
    }

    private func sign(_ extra: JSONValue, binding: [UInt8]? = nil) throws -> String {
        let challenge = try XCTUnwrap(extra.string("challenge").flatMap(Hex.decode))
        return try XCTUnwrap(Cryptosign.sign(challenge: challenge, channelBinding: binding,
                                             privateKey: XCTUnwrap(Cryptosign.privateKey(seedHex: Fixture.seed))))
    }
}
