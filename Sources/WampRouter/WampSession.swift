import Logging
import NIOCore
import NIOWebSocket
import Realm
import WampMessages
import WebSocketIO

/// One WebSocket connection speaking `wamp.2.json`: decodes each message, checks it against the
/// session state, and hands it to the realm's broker or dealer.
///
/// Everything here runs on the connection's event loop except `send`, which realms call from any
/// loop and which only queues bytes on the connection.
final class WampSession: WebSocketMessageHandler, Peer, @unchecked Sendable {
    private let connection: WebSocketConnection
    private let router: RouterContext
    private var logger: Logger
    private var state = WampSessionState.awaitingHello
    private var publishRefusals = RefusalLogThrottle()
    /// Fires at the connection's handshake deadline (counted from TCP accept) unless WELCOME or
    /// ABORT was sent first.
    private var handshakeTimer: Scheduled<Void>?

    init(connection: WebSocketConnection, router: RouterContext) {
        self.connection = connection
        self.router = router
        self.logger = router.logger
    }

    /// Runs `work` on this connection's event loop, where all session state lives.
    func eventLoopExecute(_ work: @escaping @Sendable () -> Void) {
        connection.eventLoop.execute(work)
    }

    // MARK: Peer

    func send(_ message: EncodedMessage) {
        if let cache = message.transportCache {
            let frame = cache.encoding { WebSocketFrameWriter.preparedFrame(message.bytes, kind: .text) }
            connection.send(message.bytes, kind: .text, preparedFrame: frame)
        } else {
            connection.send(message.bytes, kind: .text)
        }
    }

    // MARK: WebSocketMessageHandler

    func webSocketDidOpen(_ connection: WebSocketConnection) {
        router.sessionOpened(self)
        if let deadline = connection.handshakeDeadline {
            handshakeTimer = connection.eventLoop.scheduleTask(deadline: deadline) { self.handshakeTimedOut() }
        }
    }

    private func handshakeTimedOut() {
        guard case .awaitingHello = state else { return }
        let timeout = connection.handshakeTimeout.map(secondsText) ?? "the handshake timeout"
        logger.info("no HELLO within the handshake timeout; aborting", metadata: ["handshakeTimeout": "\(timeout)"])
        abort(reason: ErrorURI.timeout, message: "no HELLO within \(timeout)", closeCode: .policyViolation)
    }

    func webSocket(_ connection: WebSocketConnection, didReceive bytes: ByteBuffer, kind: WebSocketMessageKind) {
        guard kind == .text else {
            protocolViolation("binary messages are not allowed on wamp.2.json", closeCode: .unacceptableData)
            return
        }
        let message: WampMessage
        do {
            message = try MessageDecoder.decode(bytes, limits: router.decoderLimits)
        } catch {
            protocolViolation(error.description, closeCode: error.kind == .invalidJSON ? .dataInconsistentWithMessage : .policyViolation)
            return
        }
        switch state {
        case .awaitingHello:
            receiveBeforeWelcome(message)
        case .established(let realm, let session):
            do {
                try dispatch(message, realm: realm, session: session)
            } catch {
                protocolViolation(error.message)
            }
        case .awaitingGoodbyeReply(let closeCode):
            if case .goodbye = message {
                state = .closing
                connection.close(code: closeCode, reason: "")
            }
        case .closing, .closed:
            break
        }
    }

    func webSocketDidClose(_ connection: WebSocketConnection, reason: WebSocketCloseReason) {
        switch state {
        case .established(let realm, let session):
            leave(realm: realm, session: session)
            logger.debug("session closed by transport", metadata: ["reason": "\(LogText.quoted(reason.reason))"])
        default:
            break
        }
        state = .closed
        handshakeTimer?.cancel()
        router.sessionClosed(self)
    }

    // MARK: Session lifecycle

    private func receiveBeforeWelcome(_ message: WampMessage) {
        guard case .hello(let hello) = message else {
            protocolViolation("\(message.code.name) received before HELLO; the first message must be HELLO")
            return
        }
        guard let realm = router.realms.realm(named: hello.realm) else {
            abort(reason: ErrorURI.noSuchRealm, message: "no realm '\(hello.realm)' on this router; known realms: \(router.realms.realmNames.joined(separator: ", "))", closeCode: .normalClosure)
            return
        }
        guard let roles = hello.details.object("roles"), roles.count > 0 else {
            protocolViolation("HELLO.Details.roles must announce at least one client role")
            return
        }
        if let methods = hello.details.value("authmethods"), methods.isArray,
           !(methods.jsonText.contains("\"anonymous\"")) {
            abort(reason: ErrorURI.noAuthMethod, message: "this router offers only anonymous authentication", closeCode: .normalClosure)
            return
        }
        let id = router.realms.newSessionID()
        let authid = hello.details.string("authid") ?? "anonymous-\(id)"
        let session = RealmSession(id: id, peer: self, authid: authid, roles: roles)
        realm.join(session)
        state = .established(realm: realm, session: session)
        logger[metadataKey: "session"] = "\(id)"
        logger.debug("session joined", metadata: ["realm": "\(realm.name)", "authid": "\(LogText.quoted(authid))"])
        send(.welcome(Welcome(session: id, details: router.welcomeDetails(realm: realm.name, session: session))))
        handshakeTimer?.cancel()
    }

    private func dispatch(_ message: WampMessage, realm: Realm, session: RealmSession) throws(RoutingViolation) {
        switch message {
        case .call(let call):
            try realm.call(call, from: session)
        case .yield(let yield):
            if try !realm.dealer.yield(yield, from: session) {
                logger.debug("YIELD for no pending invocation ignored", metadata: ["request": "\(yield.request)"])
            }
        case .publish(let publish):
            if let violation = Broker.passthruViolation(publish, from: session) { throw violation }
            if let refusal = realm.broker.publish(publish, from: session) {
                publishRefusals.refused(request: publish.request, why: refusal, logger: logger)
            }
        case .subscribe(let subscribe):
            realm.broker.subscribe(subscribe, from: session)
        case .unsubscribe(let unsubscribe):
            realm.broker.unsubscribe(unsubscribe, from: session)
        case .register(let register):
            realm.dealer.register(register, from: session)
        case .unregister(let unregister):
            realm.dealer.unregister(unregister, from: session)
        case .error(let error):
            guard error.requestType == .invocation else {
                throw RoutingViolation("a client may send ERROR only for INVOCATION, not for \(error.requestType.name)")
            }
            if !realm.dealer.invocationError(error, from: session) {
                logger.debug("ERROR for no pending invocation ignored", metadata: ["request": "\(error.request)"])
            }
        case .goodbye:
            leave(realm: realm, session: session)
            state = .awaitingHello
            send(.goodbye(Goodbye(details: .emptyObject, reason: ErrorURI.goodbyeAndOut)))
        case .abort(let abort):
            logger.debug("peer aborted", metadata: ["reason": "\(LogText.quoted(abort.reason))"])
            leave(realm: realm, session: session)
            state = .closing
            connection.close(code: .normalClosure, reason: "")
        case .hello:
            throw RoutingViolation("HELLO received on an established session")
        case .cancel(let cancel):
            realm.dealer.cancel(cancel, from: session)
        case .authenticate:
            throw RoutingViolation("AUTHENTICATE received on an established session")
        case .welcome, .challenge, .published, .subscribed, .unsubscribed, .event, .result,
             .registered, .unregistered, .invocation, .interrupt:
            throw RoutingViolation("\(message.code.name) is sent by routers only, never by a client")
        }
    }

    private func leave(realm: Realm, session: RealmSession) {
        realm.leave(session)
        router.realms.releaseSessionID(session.id)
        logger.debug("session left")
        logger[metadataKey: "session"] = nil
    }

    /// Says GOODBYE `wamp.close.system_shutdown` to an established session, or closes a
    /// connection that has none. Runs on the connection's loop.
    func shutDown() {
        switch state {
        case .established:
            endSession(reason: ErrorURI.systemShutdown, message: nil, closeCode: .goingAway)
        case .awaitingHello:
            state = .closing
            connection.close(code: .goingAway, reason: "router shutting down")
        case .awaitingGoodbyeReply, .closing, .closed:
            break
        }
    }

    func kill(reason: String, message: String?) {
        eventLoopExecute {
            guard case .established = self.state else { return }
            self.logger.info("session killed", metadata: ["reason": "\(LogText.quoted(reason))"])
            self.endSession(reason: reason, message: message, closeCode: .normalClosure)
        }
    }

    /// The router's side of a GOODBYE exchange: the session leaves its realm now, and the
    /// connection closes once the peer answers GOODBYE (or the shutdown grace period ends).
    private func endSession(reason: String, message: String?, closeCode: WebSocketErrorCode) {
        guard case .established(let realm, let session) = state else { return }
        leave(realm: realm, session: session)
        state = .awaitingGoodbyeReply(closeCode: closeCode)
        let details = JSONValue.makeObject()
        if let message { details.set("message", string: message) }
        send(.goodbye(Goodbye(details: details, reason: reason)))
        // A peer that never answers does not keep its connection.
        connection.eventLoop.scheduleTask(in: WampSession.goodbyeReplyTimeout) {
            guard case .awaitingGoodbyeReply(let closeCode) = self.state else { return }
            self.logger.info("no GOODBYE reply; closing the connection")
            self.state = .closing
            self.connection.close(code: closeCode, reason: "")
        }
    }

    static let goodbyeReplyTimeout = TimeAmount.seconds(5)

    /// Closes the connection of a peer that did not answer the shutdown GOODBYE in time.
    func forceClose() {
        switch state {
        case .closing, .closed:
            return
        default:
            state = .closing
            connection.close(code: .goingAway, reason: "router shutting down")
        }
    }

    private func protocolViolation(_ message: String, closeCode: WebSocketErrorCode = .policyViolation) {
        logger.info("protocol violation", metadata: ["message": "\(LogText.quoted(message))"])
        router.counters.protocolViolations.wrappingAdd(1, ordering: .relaxed)
        abort(reason: ErrorURI.protocolViolation, message: message, closeCode: closeCode)
    }

    private func abort(reason: String, message: String, closeCode: WebSocketErrorCode) {
        if case .established(let realm, let session) = state {
            leave(realm: realm, session: session)
        }
        state = .closing
        handshakeTimer?.cancel()
        send(.abort(Abort(reason: reason, message: message)))
        connection.close(code: closeCode, reason: reason)
    }
}
