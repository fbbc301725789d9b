import Crypto
import WampMessages

/// Each method's first step, and the challenges built from a principal.
extension AuthenticationFlow {
    // MARK: anonymous

    /// The router assigns the authid (a HELLO authid is ignored, as in Crossbar).
    mutating func startAnonymous() -> AuthenticationAction {
        let authid = AnonymousAuthID.generate(random: random)
        switch configuration.anonymous {
        case .role(let role)?:
            let identity = AuthIdentity(realm: hello.realm, authid: authid, authrole: role, authmethod: .anonymous,
                                        authprovider: "static", authextra: hello.authextra)
            return finish(place(identity) ?? .welcome(identity))
        case .dynamic(let authenticator)?:
            state = .awaitingAuthenticator(.anonymous(authid: authid))
            return .invokeAuthenticator(authenticator, arguments: [
                .string(hello.realm), .string(authid), authenticatorDetails(includingIdentity: false),
            ])
        case nil:
            return finish(abort(AuthErrorURI.noAuthMethod, "anonymous is not offered", detail: "not configured"))
        }
    }

    // MARK: ticket

    /// Always a CHALLENGE: the dynamic authenticator sees the ticket only after AUTHENTICATE,
    /// and a static unknown authid must look like a wrong ticket.
    mutating func startTicket() -> AuthenticationAction {
        switch configuration.ticket {
        case .principals(let principals)?:
            state = .awaitingAuthenticate(.staticTicket(principal: hello.authid.flatMap { principals[$0] }))
        case .dynamic(let authenticator)?:
            state = .awaitingAuthenticate(.dynamicTicket(authenticator))
        case nil:
            return finish(abort(AuthErrorURI.noAuthMethod, "ticket is not offered", detail: "not configured"))
        }
        return .challenge(method: .ticket, extra: .makeObject())
    }

    mutating func verifyStaticTicket(_ ticket: String, principal: TicketPrincipal?) -> AuthenticationAction {
        // Compare against something even for an unknown authid, so both take the same time.
        let matches = SecretComparison.equal(ticket, principal?.ticket ?? "")
        guard let principal, let authid = hello.authid, matches else {
            let detail = principal == nil
                ? "no ticket principal '\(hello.authid ?? "(none)")'"
                : "wrong ticket for '\(hello.authid ?? "")'"
            return finish(denied(detail))
        }
        let identity = AuthIdentity(realm: principal.realm ?? hello.realm, authid: authid, authrole: principal.role,
                                    authmethod: .ticket, authprovider: "static", authextra: hello.authextra)
        return finish(place(identity) ?? .welcome(identity))
    }

    // MARK: wampcra

    mutating func startWampcra() -> AuthenticationAction {
        switch configuration.wampcra {
        case .principals(let users)?:
            guard let authid = hello.authid, let user = users[authid] else {
                return finish(denied("no wampcra user '\(hello.authid ?? "(none)")'"))
            }
            let identity = AuthIdentity(realm: user.realm ?? hello.realm, authid: authid, authrole: user.role,
                                        authmethod: .wampcra, authprovider: "static")
            let salting = user.salt.map { WampCRA.Salting(salt: $0, iterations: user.iterations, keylen: user.keylen) }
            return wampcraChallenge(identity, secret: user.secret, salting: salting)
        case .dynamic(let authenticator)?:
            state = .awaitingAuthenticator(.wampcra)
            return .invokeAuthenticator(authenticator, arguments: [
                .string(hello.realm), optionalString(hello.authid), authenticatorDetails(includingIdentity: true),
            ])
        case nil:
            return finish(abort(AuthErrorURI.noAuthMethod, "wampcra is not offered", detail: "not configured"))
        }
    }

    mutating func challengeDynamicWampcra(_ answer: AuthenticatorAnswer) -> AuthenticationAction {
        switch identity(from: answer, method: .wampcra, defaultAuthid: hello.authid) {
        case .failure(let abort):
            return finish(abort.action)
        case .success(let identity):
            guard let secret = answer.secret else {
                return finish(abort(AuthErrorURI.authenticationFailed, "the authenticator's answer has no secret",
                                    detail: "wampcra authenticator answer without 'secret'"))
            }
            return wampcraChallenge(identity, secret: secret, salting: answer.salting)
        }
    }

    /// The CHALLENGE for a known principal; the expected signature is kept for AUTHENTICATE.
    mutating func wampcraChallenge(_ identity: AuthIdentity, secret: String, salting: WampCRA.Salting?)
        -> AuthenticationAction {
        if let refusal = place(identity) { return finish(refusal) }
        let challenge = WampCRA.challengeText(
            authid: identity.authid, authrole: identity.authrole, authprovider: identity.authprovider,
            nonce: WampCRA.nonce(random: random),
            timestamp: UTCTimestamp.format(millisecondsSince1970: clock.millisecondsSince1970()),
            session: session)
        let key: String? = if let salting { DerivedKeyCache.key(secret: secret, salting: salting) } else { secret }
        guard let key else {
            return finish(abort(AuthErrorURI.authenticationFailed, "internal error",
                                detail: "wampcra salting of '\(identity.authid)' out of bounds "
                                    + "(iterations \(WampCRA.iterationRange), keylen \(WampCRA.keyLengthRange))"))
        }
        let expected = WampCRA.sign(challenge: challenge, key: key)
        let extra = JSONValue.makeObject()
        extra.set("challenge", string: challenge)
        if let salting {
            extra.set("salt", string: salting.salt)
            extra.set("iterations", integer: Int64(salting.iterations))
            extra.set("keylen", integer: Int64(salting.keylen))
        }
        state = .awaitingAuthenticate(.wampcra(expectedSignature: expected, identity: identity))
        return .challenge(method: .wampcra, extra: extra)
    }

    // MARK: cryptosign

    mutating func startCryptosign() -> AuthenticationAction {
        let binding: ChannelBinding?
        switch requestedChannelBinding() {
        case .failure(let refusal): return finish(refusal.action)
        case .success(let granted): binding = granted
        }
        switch configuration.cryptosign {
        case .principals(let principals)?:
            guard let pubkey = hello.authextra?.string("pubkey").flatMap(Cryptosign.canonicalKey),
                  let publicKey = Cryptosign.publicKey(hex: pubkey) else {
                return finish(abort(AuthErrorURI.notAuthorized, "cryptosign needs authextra.pubkey (64 hex digits)",
                                    detail: "cryptosign HELLO without a valid authextra.pubkey"))
            }
            let authorizes = { (principal: CryptosignPrincipal) in
                principal.authorizedKeys.contains { Cryptosign.canonicalKey($0) == pubkey }
            }
            let authid: String
            if let requested = hello.authid {
                guard let principal = principals[requested], authorizes(principal) else {
                    return finish(denied("no cryptosign principal '\(requested)' with key \(pubkey)"))
                }
                authid = requested
            } else {
                // As Crossbar: the key alone identifies the principal, if exactly one has it.
                let holders = principals.filter { authorizes($0.value) }.map(\.key)
                guard holders.count == 1 else {
                    return finish(denied(holders.isEmpty
                        ? "no cryptosign principal has key \(pubkey)"
                        : "key \(pubkey) belongs to several principals \(holders.sorted()), authid needed"))
                }
                authid = holders[0]
            }
            let principal = principals[authid]!
            let identity = AuthIdentity(realm: principal.realm ?? hello.realm, authid: authid, authrole: principal.role,
                                        authmethod: .cryptosign, authprovider: "static")
            return cryptosignChallenge(identity, publicKey: publicKey, binding: binding)
        case .dynamic(let authenticator)?:
            state = .awaitingAuthenticator(.cryptosign(binding: binding))
            return .invokeAuthenticator(authenticator, arguments: [
                .string(hello.realm), optionalString(hello.authid), authenticatorDetails(includingIdentity: true),
            ])
        case nil:
            return finish(abort(AuthErrorURI.noAuthMethod, "cryptosign is not offered", detail: "not configured"))
        }
    }

    /// The binding the client asked for in `authextra.channel_binding`, if this connection has
    /// it. A binding the client asked for and cannot get aborts (the spec lets a router go on
    /// unbound, but a client that asked for binding wants it, and silently dropping it is what
    /// the rules forbid): `wamp.error.not_authorized`, as Crossbar refuses an unknown type.
    func requestedChannelBinding() -> Swift.Result<ChannelBinding?, AbortAction> {
        guard let value = hello.authextra?.value("channel_binding"), !value.isNull else { return .success(nil) }
        guard let requested = value.stringValue, ChannelBinding.knownTypes.contains(requested) else {
            return .failure(AbortAction(abort(AuthErrorURI.notAuthorized, "invalid channel binding type requested",
                                              detail: "channel_binding \(value.jsonText)")))
        }
        guard let channelBinding, channelBinding.type == requested,
              channelBinding.data.count == Cryptosign.challengeLength else {
            let available = channelBinding.map { "only '\($0.type)'" } ?? "none"
            let message = "channel binding '\(requested)' is not available on this connection (available: \(available))"
            return .failure(AbortAction(abort(AuthErrorURI.notAuthorized, message, detail: message)))
        }
        return .success(channelBinding)
    }

    mutating func challengeDynamicCryptosign(_ answer: AuthenticatorAnswer, binding: ChannelBinding?)
        -> AuthenticationAction {
        switch identity(from: answer, method: .cryptosign, defaultAuthid: hello.authid) {
        case .failure(let abort):
            return finish(abort.action)
        case .success(let identity):
            guard let publicKey = answer.pubkey.flatMap(Cryptosign.publicKey(hex:)) else {
                return finish(abort(AuthErrorURI.authenticationFailed,
                                    "the authenticator's answer has no valid pubkey",
                                    detail: "cryptosign authenticator answer without a valid 'pubkey'"))
            }
            return cryptosignChallenge(identity, publicKey: publicKey, binding: binding)
        }
    }

    mutating func cryptosignChallenge(_ identity: AuthIdentity, publicKey: Curve25519.Signing.PublicKey,
                                      binding: ChannelBinding?) -> AuthenticationAction {
        if let refusal = place(identity) { return finish(refusal) }
        let challenge = Cryptosign.challenge(random: random)
        // requestedChannelBinding() admitted only 32-byte data, so the XOR cannot fail.
        let message = Cryptosign.signedMessage(challenge: challenge, channelBinding: binding?.data) ?? challenge
        let extra = JSONValue.makeObject()
        extra.set("challenge", string: Hex.encode(challenge))
        if let binding {
            extra.set("channel_binding", string: binding.type)
        } else {
            extra.setNull("channel_binding")
        }
        state = .awaitingAuthenticate(.cryptosign(expectedMessage: message, publicKey: Array(publicKey.rawRepresentation),
                                                   identity: identity))
        return .challenge(method: .cryptosign, extra: extra)
    }
}
