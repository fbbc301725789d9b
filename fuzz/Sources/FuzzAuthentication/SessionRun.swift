import Crypto
import WampAuth
import WampMessages

/// One flow driven to its end, and what the checks need to remember on the way.
struct SessionRun {
    let dynamic: Bool
    let hello: AuthHello
    let binding: ChannelBinding?
    /// Every text the peer (or the authenticator) supplied, decoded.
    let peerTexts: [String]
    var authenticate: Authenticate?
    var outcome: Swift.Result<JSONValue, AuthenticatorFailure>?
    var flow: AuthenticationFlow
    /// The answer the flow was handed (dynamic only), and the CHALLENGE.Extra it sent.
    var answerGiven: Swift.Result<JSONValue, AuthenticatorFailure>?
    var challengeExtra: JSONValue?

    init(dynamic: Bool, hello: AuthHello, binding: ChannelBinding?, authenticate: Authenticate?,
         outcome: Swift.Result<JSONValue, AuthenticatorFailure>?, peerTexts: [String]) {
        self.dynamic = dynamic
        self.hello = hello
        self.binding = binding
        self.authenticate = authenticate
        self.outcome = outcome
        self.peerTexts = peerTexts
        self.flow = AuthenticationFlow(
            configuration: dynamic ? AuthFixture.dynamicAuth : AuthFixture.staticAuth, hello: hello,
            session: AuthFixture.session,
            transport: AuthTransportInfo(peer: "tcp4:127.0.0.1:50000", isSecure: binding != nil, websocketProtocol: "wamp.2.json"),
            channelBinding: binding, placement: AuthFixture.placement, clock: AuthFixture.clock, random: AuthFixture.random)
    }

    mutating func run() {
        var action = flow.start()
        var steps = 0
        while true {
            steps += 1
            if steps > 4 { fatalError("the flow took more than four steps: \(action)") }
            checkState(after: action)
            if AuthFixture.tracing { print("step \(steps): \(action)") }
            switch action {
            case .welcome(let identity):
                checkWelcome(identity)
                return
            case .abort(let reason, let message, let logDetail):
                checkAbort(reason: reason, message: message, logDetail: logDetail)
                return
            case .challenge(let method, let extra):
                checkChallenge(method: method, extra: extra)
                challengeExtra = extra
                guard let message = authenticate else { return }
                authenticate = nil
                let next = flow.authenticate(signature: message.signature, extra: message.extra)
                if !dynamic || method != .ticket { checkVerdict(next, signature: message.signature, method: method) }
                action = next
            case .invokeAuthenticator(let authenticator, let arguments):
                checkInvocation(authenticator, arguments: arguments)
                guard let answer = outcome else { return }
                outcome = nil
                answerGiven = answer
                action = flow.authenticatorReturned(answer)
            }
        }
    }

    /// The inputs a hostile peer (or a late authenticator answer) would send out of turn.
    mutating func pokeOutOfState() {
        if flow.isFinished || flow.isAwaitingAuthenticator {
            expectAbort(flow.authenticate(signature: AuthFixture.tickets["alice"]!, extra: .makeObject()),
                        AuthErrorURI.protocolViolation, "AUTHENTICATE out of state")
        }
        if flow.isFinished || flow.isAwaitingAuthenticate {
            expectAbort(flow.authenticatorReturned(.success(.string("user"))), AuthErrorURI.authenticationFailed,
                        "an authenticator answer with no call outstanding")
        }
        expectAbort(flow.start(), AuthErrorURI.protocolViolation, "a second start()")
    }

    func expectAbort(_ action: AuthenticationAction, _ reason: String, _ what: String) {
        guard case .abort(let got, _, _) = action, got == reason else { fatalError("\(what) gave \(action), not \(reason)") }
    }

    func checkState(after action: AuthenticationAction) {
        let (finished, awaitingAuthenticate, awaitingAuthenticator): (Bool, Bool, Bool)
        switch action {
        case .welcome, .abort: (finished, awaitingAuthenticate, awaitingAuthenticator) = (true, false, false)
        case .challenge: (finished, awaitingAuthenticate, awaitingAuthenticator) = (false, true, false)
        case .invokeAuthenticator: (finished, awaitingAuthenticate, awaitingAuthenticator) = (false, false, true)
        }
        if flow.isFinished != finished || flow.isAwaitingAuthenticate != awaitingAuthenticate
            || flow.isAwaitingAuthenticator != awaitingAuthenticator
        {
            fatalError("after \(action): finished \(flow.isFinished), awaiting AUTHENTICATE \(flow.isAwaitingAuthenticate), "
                + "awaiting the authenticator \(flow.isAwaitingAuthenticator)")
        }
    }

    // MARK: challenge and invocation

    func checkChallenge(method: AuthMethod, extra: JSONValue) {
        if flow.method != method { fatalError("CHALLENGE for \(method) in a \(String(describing: flow.method)) flow") }
        if method == .anonymous { fatalError("anonymous was challenged") }
        if dynamic && method != .ticket && answerGiven == nil { fatalError("dynamic \(method) challenged before the authenticator answered") }
        switch method {
        case .wampcra:
            guard let text = extra.string("challenge"), let challenge = JSONValue.parse(text), challenge.isObject,
                challenge.string("authmethod") == "wampcra", challenge.integer("session") == Int64(AuthFixture.session)
            else { fatalError("wampcra challenge extra \(extra.jsonText) is not the spec's challenge object") }
            if !dynamic {
                let user = AuthFixture.wampcraUsers[hello.authid ?? ""]!
                if challenge.string("authid") != hello.authid || challenge.string("authrole") != user.role {
                    fatalError("wampcra challenge \(text) for the wrong principal")
                }
                if extra.string("salt") != user.salt
                    || (user.salt != nil && (extra.integer("iterations") != Int64(user.iterations)
                        || extra.integer("keylen") != Int64(user.keylen)))
                {
                    fatalError("wampcra challenge extra \(extra.jsonText) does not announce the user's salting")
                }
            }
        case .cryptosign:
            guard let hex = extra.string("challenge"), let bytes = hexBytes(hex), bytes.count == 32 else {
                fatalError("cryptosign challenge extra \(extra.jsonText) has no 32-byte hex challenge")
            }
            let announced = extra.string("channel_binding")
            if announced != requestedBinding() { fatalError("channel_binding announced \(announced ?? "null"), requested \(requestedBinding() ?? "none")") }
        case .ticket, .anonymous:
            break
        }
        checkNoSecret(extra.jsonText, "a CHALLENGE")
    }

    func checkInvocation(_ authenticator: DynamicAuthenticator, arguments: [JSONValue]) {
        guard dynamic else { fatalError("a static flow called an authenticator") }
        if authenticator != AuthFixture.authenticator { fatalError("called \(authenticator), not the configured one") }
        guard arguments.count == 3, arguments[0].stringValue == hello.realm, arguments[2].isObject else {
            fatalError("authenticator arguments \(arguments.map(\.jsonText)) are not (realm, authid, details)")
        }
        if flow.method == .ticket, arguments[2].string("ticket") == nil {
            fatalError("dynamic ticket invocation without the presented ticket")
        }
    }

    /// What the client asked for in `authextra.channel_binding`, if it can be had.
    func requestedBinding() -> String? {
        guard let requested = hello.authextra?.string("channel_binding"), requested == binding?.type else { return nil }
        return requested
    }

    // MARK: verdicts

    /// The answer to an AUTHENTICATE whose correctness this target can judge by itself.
    func checkVerdict(_ action: AuthenticationAction, signature: String, method: AuthMethod) {
        let correct: Bool
        switch method {
        case .ticket:
            let principal = AuthFixture.tickets[hello.authid ?? ""]
            correct = principal.map { $0 == signature } ?? false
        case .wampcra:
            guard let extra = challengeExtra, let challenge = extra.string("challenge") else { fatalError("no challenge seen") }
            let expected: String?
            if dynamic {
                guard case .success(let answer)? = answerGiven, let secret = answer.string("secret") else {
                    fatalError("dynamic wampcra challenged without a secret in the answer")
                }
                expected = AuthFixture.wampcraSignature(challenge: challenge, secret: secret, salting: answerSalting(answer))
            } else {
                let user = AuthFixture.wampcraUsers[hello.authid ?? ""]!
                expected = AuthFixture.wampcraSignature(challenge: challenge, secret: user.secret,
                                                        salting: user.salt.map { WampCRA.Salting(salt: $0, iterations: user.iterations, keylen: user.keylen) })
            }
            correct = expected == signature
        case .cryptosign:
            guard let extra = challengeExtra, let challenge = extra.string("challenge").flatMap(hexBytes) else {
                fatalError("no challenge seen")
            }
            var message = challenge
            if requestedBinding() != nil, let binding { message = zip(challenge, binding.data).map { $0 ^ $1 } }
            let key: [UInt8]?
            if dynamic {
                guard case .success(let answer)? = answerGiven else { fatalError("dynamic cryptosign challenged without an answer") }
                key = answer.string("pubkey").flatMap(hexBytes)
            } else {
                key = hello.authextra?.string("pubkey").flatMap(hexBytes)
            }
            guard let key, key.count == 32, let publicKey = try? Curve25519.Signing.PublicKey(rawRepresentation: key) else {
                fatalError("cryptosign challenged without a valid public key")
            }
            if !dynamic && !AuthFixture.cryptosignPrincipals.values.contains(where: { $0.keys.contains(key) }) {
                fatalError("cryptosign challenged a key no principal has")
            }
            if let bytes = hexBytes(signature), bytes.count == 96 {
                correct = Array(bytes[64...]) == message && publicKey.isValidSignature(bytes[..<64], for: message)
            } else {
                correct = false
            }
        case .anonymous:
            fatalError("AUTHENTICATE answered for anonymous")
        }
        switch action {
        case .welcome:
            if !correct { fatalError("\(method) welcomed the wrong credential \(signature.debugDescription)") }
        case .abort(let reason, let message, _):
            if correct {
                // Only placement may still refuse a correct static ticket (wampcra and cryptosign
                // place the identity before they challenge).
                guard method == .ticket, reason == AuthErrorURI.noSuchRealm || reason == AuthErrorURI.noSuchRole else {
                    fatalError("\(method) refused a correct credential: \(action)")
                }
            } else if reason != AuthErrorURI.notAuthorized || message != AuthenticationFlow.deniedMessage {
                fatalError("a wrong \(method) credential got \(action), not the one not_authorized answer")
            }
        case .challenge, .invokeAuthenticator:
            fatalError("AUTHENTICATE for \(method) was answered with \(action)")
        }
    }

    func checkWelcome(_ identity: AuthIdentity) {
        if identity.authmethod != flow.method { fatalError("welcome by \(identity.authmethod) in a \(String(describing: flow.method)) flow") }
        if AuthFixture.placement(identity.realm, identity.authrole) != .allowed {
            fatalError("welcomed \(identity) into a realm or role placement refuses")
        }
        if identity.authid.isEmpty || identity.realm.isEmpty || identity.authrole.isEmpty {
            fatalError("welcome with an empty realm, authid or role: \(identity)")
        }
        if dynamic {
            guard case .success(let answer)? = answerGiven else { fatalError("dynamic welcome without a successful answer: \(identity)") }
            let role = answer.stringValue ?? answer.string("role")
            let realm = answer.isObject ? answer.string("realm") : nil
            if identity.authprovider != "dynamic" || identity.authrole != role || identity.realm != (realm ?? hello.realm) {
                fatalError("dynamic welcome \(identity) is not what the answer \(answer.jsonText) said")
            }
            if identity.authmethod != .anonymous {
                let authid = answer.isObject ? answer.string("authid") : nil
                if identity.authid != (authid ?? hello.authid) {
                    fatalError("dynamic welcome \(identity) has not the answer's or the HELLO's authid")
                }
            }
            return
        }
        if identity.authprovider != "static" { fatalError("static welcome from provider \(identity.authprovider)") }
        switch identity.authmethod {
        case .anonymous:
            if identity.authrole != "anonymous" || identity.realm != hello.realm { fatalError("anonymous welcome \(identity)") }
        case .ticket:
            let principal = AuthFixture.ticketPrincipals[identity.authid]
            if identity.authid != hello.authid || principal?.role != identity.authrole
                || identity.realm != (principal?.realm ?? hello.realm)
            {
                fatalError("ticket welcome \(identity) is not the configured principal")
            }
        case .wampcra:
            let user = AuthFixture.wampcraUsers[identity.authid]
            if identity.authid != hello.authid || user?.role != identity.authrole || identity.realm != (user?.realm ?? hello.realm) {
                fatalError("wampcra welcome \(identity) is not the configured user")
            }
        case .cryptosign:
            guard let principal = AuthFixture.cryptosignPrincipals[identity.authid],
                let key = hello.authextra?.string("pubkey").flatMap(hexBytes), principal.keys.contains(key),
                principal.role == identity.authrole, identity.realm == (principal.realm ?? hello.realm),
                hello.authid == nil || hello.authid == identity.authid
            else { fatalError("cryptosign welcome \(identity) is not a principal holding the HELLO's key") }
        }
    }

    func checkAbort(reason: String, message: String, logDetail: String) {
        if case .failure(.error(let uri, _))? = answerGiven, reason != uri {
            fatalError("an authenticator ERROR \(uri) aborted with \(reason)")
        }
        let known: Set<String> = [
            AuthErrorURI.notAuthorized, AuthErrorURI.noAuthMethod, AuthErrorURI.noSuchProcedure, AuthErrorURI.noSuchRealm,
            AuthErrorURI.noSuchRole, AuthErrorURI.noSuchPrincipal, AuthErrorURI.authenticationFailed,
            AuthErrorURI.protocolViolation, AuthFixture.refusalURI,
        ]
        if !known.contains(reason) { fatalError("abort with unexpected reason \(reason)") }
        checkNoSecret(message, "an ABORT message")
        checkNoSecret(logDetail, "an ABORT log detail")
    }

    /// Configured secrets never leave the router, unless the peer sent them itself (anywhere in
    /// its HELLO, AUTHENTICATE or the answer, decoded: JSON escapes may spell them).
    func checkNoSecret(_ text: String, _ what: String) {
        for secret in AuthFixture.secrets where utf8Contains(text, secret) && !peerTexts.contains(where: { utf8Contains($0, secret) }) {
            fatalError("\(what) holds the configured secret \(secret.debugDescription): \(text)")
        }
    }
}

/// The salting a dynamic answer gives (only called on answers `AuthFixture.isCheap` let through).
func answerSalting(_ answer: JSONValue) -> WampCRA.Salting? {
    guard let salt = answer.string("salt") else { return nil }
    return WampCRA.Salting(salt: salt, iterations: Int(answer.integer("iterations") ?? 1000), keylen: Int(answer.integer("keylen") ?? 32))
}

