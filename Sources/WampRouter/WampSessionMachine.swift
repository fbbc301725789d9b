import NIOWebSocket
import Realm
import WampAuth
import WampMessages

/// A WAMP session's life on one connection, as a pure machine: awaiting HELLO -> authenticating
/// -> established -> (awaiting the peer's GOODBYE) -> closing -> closed. Each input returns the
/// actions `WampSession` performs (send, join, leave, close, call an authenticator); nothing here
/// does I/O, so every transition is tested on values.
///
/// Every way a session ends goes through `end(_:)` (leave the realm or give back the reserved
/// session ID, then the state change), so no path can forget one of them.
struct WampSessionMachine<Authentication: SessionAuthentication> {
    enum State {
        case awaitingHello
        /// HELLO was accepted and a session ID reserved; the flow decides who the peer is.
        case authenticating(flow: Authentication, sessionID: WampID, roles: JSONValue)
        case established(realm: Realm, session: RealmSession)
        /// The router said GOODBYE and waits for the peer's answer before closing.
        case awaitingGoodbyeReply(closeCode: WebSocketErrorCode)
        case closing
        case closed
    }

    enum Action {
        case send(WampMessage)
        case join(Realm, RealmSession)
        case leave(Realm, RealmSession)
        case releaseSessionID(WampID)
        case callAuthenticator(DynamicAuthenticator, arguments: [JSONValue])
        /// Send ABORT, then close. `failedCredentials`: a wrong secret or unknown principal.
        case abort(Abort, closeCode: WebSocketErrorCode, failedCredentials: Bool)
        case close(WebSocketErrorCode)
        /// Authentication ended in a refusal; `detail` says for the log what was wrong (never a
        /// secret).
        case authenticationRefused(reason: String, detail: String)
        /// Route a message of the established session.
        case dispatch(WampMessage, Realm, RealmSession)
        /// The peer broke the protocol (counted and logged by the driver); an ABORT follows.
        case protocolViolation(String)
        case waitForGoodbyeReply
    }

    private(set) var state = State.awaitingHello
    let realms: RealmRegistry
    /// The session driving this machine, which owns it (unowned: no cycle).
    unowned let peer: any Peer
    let makeAuthentication: (Hello, WampID) -> Authentication

    init(realms: RealmRegistry, peer: any Peer, makeAuthentication: @escaping (Hello, WampID) -> Authentication) {
        self.realms = realms
        self.peer = peer
        self.makeAuthentication = makeAuthentication
    }

    var isEstablished: Bool {
        if case .established = state { return true }
        return false
    }

    /// Still the established session `session` (an answer that arrives late must not reach a
    /// later session on the same connection).
    func isEstablished(_ session: RealmSession) -> Bool {
        if case .established(_, let current) = state { return current === session }
        return false
    }

    /// The handshake (HELLO until WELCOME or ABORT) is still under way.
    var isHandshaking: Bool {
        switch state {
        case .awaitingHello, .authenticating: return true
        default: return false
        }
    }

    // MARK: Inputs

    /// Where an established session's routed message (anything but HELLO, AUTHENTICATE, GOODBYE
    /// and ABORT) goes: the same answer `received` gives as `.dispatch`, without building an
    /// action list, because this is every CALL, YIELD and PUBLISH. nil: ask `received`.
    func routing(_ message: WampMessage) -> (Realm, RealmSession)? {
        guard case .established(let realm, let session) = state else { return nil }
        switch message {
        case .hello, .authenticate, .goodbye, .abort: return nil
        default: return (realm, session)
        }
    }

    mutating func received(_ message: WampMessage) -> [Action] {
        switch state {
        case .awaitingHello:
            guard case .hello(let hello) = message else {
                if case .authenticate = message {
                    return violation("AUTHENTICATE received before HELLO")
                }
                return violation("\(message.code.name) received before HELLO; the first message must be HELLO")
            }
            return receivedHello(hello)
        case .authenticating(var flow, let sessionID, let roles):
            switch message {
            case .authenticate(let authenticate):
                guard let step = flow.authenticate(authenticate) else {
                    return violation("AUTHENTICATE received while the router was not waiting for one")
                }
                state = .authenticating(flow: flow, sessionID: sessionID, roles: roles)
                return perform(step)
            case .abort:
                return end(.closing) + [.close(.normalClosure)]
            default:
                return violation("\(message.code.name) received during authentication; only AUTHENTICATE or ABORT may follow CHALLENGE")
            }
        case .established(let realm, let session):
            switch message {
            case .goodbye:
                return end(.awaitingHello) + [.send(.goodbye(Goodbye(details: .emptyObject, reason: ErrorURI.goodbyeAndOut)))]
            case .abort:
                return end(.closing) + [.close(.normalClosure)]
            case .hello:
                return violation("HELLO received on an established session")
            case .authenticate:
                return violation("AUTHENTICATE received on an established session")
            default:
                return [.dispatch(message, realm, session)]
            }
        case .awaitingGoodbyeReply(let closeCode):
            guard case .goodbye = message else { return [] }
            state = .closing
            return [.close(closeCode)]
        case .closing, .closed:
            return []
        }
    }

    mutating func authenticatorReturned(_ result: Swift.Result<JSONValue, AuthenticatorFailure>) -> [Action] {
        guard case .authenticating(var flow, let sessionID, let roles) = state else { return [] }
        let step = flow.authenticatorReturned(result)
        state = .authenticating(flow: flow, sessionID: sessionID, roles: roles)
        return perform(step)
    }

    mutating func handshakeTimedOut(timeout: String) -> [Action] {
        switch state {
        case .awaitingHello:
            return abort(ErrorURI.timeout, "no HELLO within \(timeout)", closeCode: .policyViolation)
        case .authenticating:
            return abort(ErrorURI.timeout, "authentication not finished within \(timeout)", closeCode: .policyViolation)
        default:
            return []
        }
    }

    mutating func transportClosed() -> [Action] {
        end(.closed)
    }

    /// `wamp.session.kill` and shutdown: GOODBYE to an established session, then wait for its
    /// answer. A connection without a session is simply closed.
    mutating func endSession(reason: String, message: String?, closeCode: WebSocketErrorCode) -> [Action] {
        switch state {
        case .established:
            let details = JSONValue.makeObject()
            if let message { details.set("message", string: message) }
            return end(.awaitingGoodbyeReply(closeCode: closeCode))
                + [.send(.goodbye(Goodbye(details: details, reason: reason))), .waitForGoodbyeReply]
        case .awaitingHello, .authenticating:
            return end(.closing) + [.close(closeCode)]
        case .awaitingGoodbyeReply, .closing, .closed:
            return []
        }
    }

    mutating func goodbyeReplyTimedOut() -> [Action] {
        guard case .awaitingGoodbyeReply(let closeCode) = state else { return [] }
        state = .closing
        return [.close(closeCode)]
    }

    mutating func forceClose() -> [Action] {
        switch state {
        case .closing, .closed: return []
        default: return end(.closing) + [.close(.goingAway)]
        }
    }

    // MARK: Steps

    private mutating func receivedHello(_ hello: Hello) -> [Action] {
        guard let roles = hello.details.object("roles"), roles.count > 0 else {
            return violation("HELLO.Details.roles must announce at least one client role")
        }
        let sessionID = realms.newSessionID()
        var flow = makeAuthentication(hello, sessionID)
        let step = flow.start()
        state = .authenticating(flow: flow, sessionID: sessionID, roles: roles)
        return perform(step)
    }

    private mutating func perform(_ step: AuthenticationAction) -> [Action] {
        guard case .authenticating(_, let sessionID, let roles) = state else { return [] }
        switch step {
        case .challenge(let method, let extra):
            return [.send(.challenge(Challenge(authMethod: method.rawValue, extra: extra)))]
        case .invokeAuthenticator(let authenticator, let arguments):
            return [.callAuthenticator(authenticator, arguments: arguments)]
        case .abort(let reason, let message, let logDetail):
            // A wrong secret or an unknown principal: the ABORT the router slows down per address.
            let failedCredentials = reason == ErrorURI.notAuthorized
            return [.authenticationRefused(reason: reason, detail: logDetail)]
                + abort(reason, message, closeCode: .normalClosure, failedCredentials: failedCredentials)
        case .welcome(let identity):
            guard let realm = realms.realm(named: identity.realm) else {
                return abort(ErrorURI.noSuchRealm, "no realm \(LogText.quoted(identity.realm)) on this router")
            }
            guard realm.hasRole(identity.authrole) else {
                return abort(ErrorURI.noSuchRole, "no role \(LogText.quoted(identity.authrole)) on realm '\(realm.name)'")
            }
            let session = RealmSession(id: sessionID, peer: peer, authid: identity.authid, authrole: identity.authrole,
                                       authmethod: identity.authmethod.rawValue, authprovider: identity.authprovider,
                                       authextra: identity.authextra, roles: roles)
            state = .established(realm: realm, session: session)
            return [.join(realm, session)]
        }
    }

    /// The peer broke the protocol (also: a message that could not be decoded, or a routing call
    /// that found the peer in breach): counted, then ABORT `wamp.error.protocol_violation`.
    mutating func violation(_ message: String, closeCode: WebSocketErrorCode = .policyViolation) -> [Action] {
        [.protocolViolation(message)] + abort(ErrorURI.protocolViolation, message, closeCode: closeCode)
    }

    private mutating func abort(_ reason: String, _ message: String, closeCode: WebSocketErrorCode = .normalClosure,
                                failedCredentials: Bool = false) -> [Action] {
        switch state {
        case .closing, .closed: return []
        default: break
        }
        return end(.closing) + [.abort(Abort(reason: reason, message: message), closeCode: closeCode, failedCredentials: failedCredentials)]
    }

    /// The one way out of a session: what it held in its realm (or the reserved ID) is given
    /// back, then the state moves on.
    private mutating func end(_ next: State) -> [Action] {
        var actions: [Action] = []
        switch state {
        case .established(let realm, let session): actions.append(.leave(realm, session))
        case .authenticating(_, let sessionID, _): actions.append(.releaseSessionID(sessionID))
        default: break
        }
        state = next
        return actions
    }
}
