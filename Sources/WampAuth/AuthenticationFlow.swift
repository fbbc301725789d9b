import Crypto
import WampMessages

/// The router's side of WAMP authentication for one session, from HELLO to WELCOME or ABORT, as
/// a pure state machine: inputs in (`start`, `authenticate`, `authenticatorReturned`), one
/// `AuthenticationAction` out each time. No I/O, no timers, no realm: the caller sends what the
/// action says, calls the authenticator, runs its timeout, and answers `placement` from its
/// realm table.
///
/// Denials follow Crossbar's URIs: a wrong ticket, secret or signature and an unknown authid or
/// key all abort `wamp.error.not_authorized` with one message that never says which part was
/// wrong (the reason goes to `logDetail`). A static ticket is challenged even for an unknown
/// authid, so that the answer to a guess never tells whether the authid exists.
public struct AuthenticationFlow: Sendable {
    /// The caller's view of the realms: may a session join `realm` under `role`?
    public typealias Placement = @Sendable (_ realm: String, _ role: String) -> PlacementVerdict

    /// The one message every credential failure carries.
    public static let deniedMessage = "authentication failed"

    let configuration: TransportAuthConfiguration
    let hello: AuthHello
    let session: WampID
    let transport: AuthTransportInfo
    let channelBinding: ChannelBinding?
    let placement: Placement
    let clock: AuthClock
    let random: AuthRandom

    /// The method chosen from the client's list, once `start()` ran.
    public private(set) var method: AuthMethod?
    var state: State = .notStarted

    enum State: Sendable {
        case notStarted
        case awaitingAuthenticator(PendingCall)
        case awaitingAuthenticate(Expectation)
        case finished
    }

    /// What the outstanding authenticator call was for.
    enum PendingCall: Sendable {
        case anonymous(authid: String)
        case ticket
        case wampcra
        case cryptosign(binding: ChannelBinding?)
    }

    /// What the outstanding CHALLENGE expects back.
    enum Expectation: Sendable {
        case staticTicket(principal: TicketPrincipal?)
        case dynamicTicket(DynamicAuthenticator)
        case wampcra(expectedSignature: String, identity: AuthIdentity)
        /// The key as its 32 raw bytes: swift-crypto's key types are not `Sendable`.
        case cryptosign(expectedMessage: [UInt8], publicKey: [UInt8], identity: AuthIdentity)
    }

    public init(configuration: TransportAuthConfiguration, hello: AuthHello, session: WampID,
                transport: AuthTransportInfo, channelBinding: ChannelBinding? = nil,
                placement: @escaping Placement = { _, _ in .allowed },
                clock: AuthClock = .system, random: AuthRandom = .system) {
        self.configuration = configuration
        self.hello = hello
        self.session = session
        self.transport = transport
        self.channelBinding = channelBinding
        self.placement = placement
        self.clock = clock
        self.random = random
    }

    /// True while a CHALLENGE is outstanding. An AUTHENTICATE at any other time is a protocol
    /// violation the caller answers itself (`authenticate` would also say so).
    public var isAwaitingAuthenticate: Bool {
        if case .awaitingAuthenticate = state { return true }
        return false
    }

    /// True while the authenticator call the last action asked for is outstanding.
    public var isAwaitingAuthenticator: Bool {
        if case .awaitingAuthenticator = state { return true }
        return false
    }

    /// True once the flow decided WELCOME or ABORT.
    public var isFinished: Bool {
        if case .finished = state { return true }
        return false
    }

    // MARK: Inputs

    /// Chooses the method (the client's order among those configured) and takes its first step.
    public mutating func start() -> AuthenticationAction {
        guard case .notStarted = state else {
            return finish(abort(AuthErrorURI.protocolViolation, "authentication already started",
                                detail: "start() called twice"))
        }
        let offered = hello.effectiveMethods
        guard let chosen = offered.lazy.compactMap(AuthMethod.init(rawValue:))
            .first(where: { configuration.methods.contains($0) }) else {
            let configured = AuthMethod.allCases.filter { configuration.methods.contains($0) }.map(\.rawValue)
            return finish(abort(AuthErrorURI.noAuthMethod,
                                "cannot authenticate using any of the offered authmethods \(offered)",
                                detail: "client offered \(offered), transport offers \(configured)"))
        }
        method = chosen
        switch chosen {
        case .anonymous: return startAnonymous()
        case .ticket: return startTicket()
        case .wampcra: return startWampcra()
        case .cryptosign: return startCryptosign()
        }
    }

    /// The client's AUTHENTICATE. Out of state (no CHALLENGE outstanding) it aborts
    /// `wamp.error.protocol_violation`, as the spec says.
    public mutating func authenticate(signature: String, extra: JSONValue) -> AuthenticationAction {
        guard case .awaitingAuthenticate(let expectation) = state else {
            return finish(abort(AuthErrorURI.protocolViolation, "AUTHENTICATE without an outstanding CHALLENGE",
                                detail: "AUTHENTICATE out of state"))
        }
        switch expectation {
        case .staticTicket(let principal):
            return verifyStaticTicket(signature, principal: principal)
        case .dynamicTicket(let authenticator):
            let details = authenticatorDetails(includingIdentity: false)
            details.set("ticket", string: signature)
            state = .awaitingAuthenticator(.ticket)
            return .invokeAuthenticator(authenticator, arguments: [.string(hello.realm), optionalString(hello.authid), details])
        case .wampcra(let expected, let identity):
            guard SecretComparison.equal(signature, expected) else {
                return finish(denied("WAMP-CRA signature does not match for authid '\(identity.authid)'"))
            }
            return finish(.welcome(identity))
        case .cryptosign(let message, let publicKey, let identity):
            guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: publicKey),
                  Cryptosign.verify(signature: signature, expectedMessage: message, publicKey: key) else {
                return finish(denied("cryptosign signature invalid for authid '\(identity.authid)'"))
            }
            return finish(.welcome(identity))
        }
    }

    /// The answer (first RESULT argument) or failure of the authenticator call the last action
    /// asked for.
    public mutating func authenticatorReturned(_ result: Swift.Result<JSONValue, AuthenticatorFailure>) -> AuthenticationAction {
        guard case .awaitingAuthenticator(let pending) = state else {
            return finish(abort(AuthErrorURI.authenticationFailed, "internal error",
                                detail: "authenticator answer with no call outstanding"))
        }
        let value: JSONValue
        switch result {
        case .failure(.error(let uri, let message)):
            return finish(abort(uri, message ?? "the authenticator refused the session",
                                detail: "authenticator raised \(uri)"))
        case .failure(.timeout):
            return finish(abort(AuthErrorURI.authenticationFailed, "the authenticator did not answer in time",
                                detail: "authenticator timed out"))
        case .failure(.noSuchProcedure):
            return finish(abort(AuthErrorURI.noSuchProcedure, "the authenticator is not available",
                                detail: "no authenticator registered"))
        case .success(let answer):
            value = answer
        }
        let answer: AuthenticatorAnswer
        switch AuthenticatorAnswer.read(value) {
        case .failure(let malformed):
            return finish(abort(AuthErrorURI.authenticationFailed, malformed.reason, detail: malformed.reason))
        case .success(let read):
            answer = read
        }
        switch pending {
        case .anonymous(let authid):
            return finishDynamic(answer, method: .anonymous, defaultAuthid: authid)
        case .ticket:
            return finishDynamic(answer, method: .ticket, defaultAuthid: hello.authid)
        case .wampcra:
            return challengeDynamicWampcra(answer)
        case .cryptosign(let binding):
            return challengeDynamicCryptosign(answer, binding: binding)
        }
    }

    // MARK: Shared steps

    /// Records that the flow is over when `action` ends it; passes it through.
    mutating func finish(_ action: AuthenticationAction) -> AuthenticationAction {
        switch action {
        case .welcome, .abort: state = .finished
        case .challenge, .invokeAuthenticator: break
        }
        return action
    }

    func abort(_ reason: String, _ message: String, detail: String) -> AuthenticationAction {
        .abort(reason: reason, message: message, logDetail: detail)
    }

    /// A credential failure: always the same URI and message, the specifics only in the log.
    func denied(_ detail: String) -> AuthenticationAction {
        abort(AuthErrorURI.notAuthorized, Self.deniedMessage, detail: detail)
    }

    /// An identity, unless `placement` refuses its realm or role.
    func place(_ identity: AuthIdentity) -> AuthenticationAction? {
        switch placement(identity.realm, identity.authrole) {
        case .allowed:
            return nil
        case .noSuchRealm:
            return abort(AuthErrorURI.noSuchRealm, "no realm '\(identity.realm)' exists on this router",
                         detail: "principal '\(identity.authid)' placed in missing realm '\(identity.realm)'")
        case .noSuchRole:
            return abort(AuthErrorURI.noSuchRole, "realm '\(identity.realm)' has no role '\(identity.authrole)'",
                         detail: "principal '\(identity.authid)' has missing role '\(identity.authrole)'")
        }
    }

    /// Crossbar's `details` argument: `transport`, `session`, `authmethod`, `authextra`, and for
    /// wampcra and cryptosign also the HELLO's `authid` and `authrole`.
    func authenticatorDetails(includingIdentity: Bool) -> JSONValue {
        let details = JSONValue.makeObject()
        details.set("transport", transport.json)
        details.set("session", integer: Int64(session))
        details.set("authmethod", string: method?.rawValue ?? "")
        details.set("authextra", hello.authextra ?? .null)
        if includingIdentity {
            details.set("authid", optionalString(hello.authid))
            details.set("authrole", optionalString(hello.authrole))
        }
        return details
    }

    func optionalString(_ text: String?) -> JSONValue {
        text.map(JSONValue.string) ?? .null
    }

    /// The identity an authenticator's answer gives, with Crossbar's checks: the answer may move
    /// the session to another realm and override the authid; realm, authid and role must be set.
    func identity(from answer: AuthenticatorAnswer, method: AuthMethod, defaultAuthid: String?)
        -> Swift.Result<AuthIdentity, AbortAction> {
        let realm = answer.realm ?? hello.realm
        guard !realm.isEmpty else {
            return .failure(AbortAction(abort(AuthErrorURI.noSuchRealm, "no realm assigned",
                                              detail: "authenticator assigned no realm")))
        }
        guard let authid = answer.authid ?? defaultAuthid, !authid.isEmpty else {
            return .failure(AbortAction(abort(AuthErrorURI.noSuchPrincipal, "no authid assigned",
                                              detail: "authenticator assigned no authid")))
        }
        guard let role = answer.role, !role.isEmpty else {
            return .failure(AbortAction(abort(AuthErrorURI.noSuchRole, "no authrole assigned",
                                              detail: "authenticator assigned no role")))
        }
        return .success(AuthIdentity(realm: realm, authid: authid, authrole: role, authmethod: method,
                                     authprovider: "dynamic", authextra: answer.extra))
    }

    /// An abort, as a `Result` failure.
    struct AbortAction: Error {
        var action: AuthenticationAction
        init(_ action: AuthenticationAction) { self.action = action }
    }

    mutating func finishDynamic(_ answer: AuthenticatorAnswer, method: AuthMethod, defaultAuthid: String?)
        -> AuthenticationAction {
        switch identity(from: answer, method: method, defaultAuthid: defaultAuthid) {
        case .failure(let abort):
            return finish(abort.action)
        case .success(let identity):
            return finish(place(identity) ?? .welcome(identity))
        }
    }
}
