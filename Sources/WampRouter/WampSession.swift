import Logging
import NIOCore
import Synchronization
import NIOWebSocket
import Realm
import RouterMetrics
import WampAuth
import WampMessages
import WebSocketIO

/// One WAMP connection (any transport, any serializer): decodes each message, feeds it to the
/// session machine (`WampSessionMachine`), and performs what the machine decides: the
/// authentication exchange, the realm's authorization check, and routing through the realm's
/// broker and dealer.
///
/// Everything here runs on the connection's event loop except `send`, which realms call from any
/// loop and which only queues bytes on the connection.
final class WampSession: WampTransportDelegate, Peer, @unchecked Sendable {
    typealias Machine = WampSessionMachine<AuthenticationFlowStep>

    private let connection: any WampTransport
    let serialization: WampSerialization
    let maxMessageSize: Int
    private let router: RouterContext
    /// Where repeated authentication failures are counted: the peer's IP address.
    private let failureAddress: String
    private var logger: Logger
    private var machine: Machine!
    private var publishRefusals = RefusalLogThrottle()
    /// Fires at the connection's handshake deadline (counted from TCP accept) unless WELCOME or
    /// ABORT was sent first.
    private var handshakeTimer: Scheduled<Void>?
    /// Metrics: this loop thread's counters (first read on the loop, where every receive runs),
    /// the session's labels, and the method of the last CHALLENGE (for a failure's label).
    private lazy var trafficSlot = TrafficSlot.current
    private let transportLabel: String
    private var challengedMethod = "none"
    /// When the connection opened (the status page's age).
    let openedAt = NIODeadline.now()
    /// Messages received on this connection; on the loop only, so counting costs one add (the
    /// status page samples it once a second on the loop).
    private(set) var messagesReceived = 0
    /// The joined realm and session ID, for the recent-errors list: written at join, read when
    /// the router sends an ERROR or ABORT (from any thread, so behind a lock; neither is the hot path).
    private let joined = Mutex<(realm: String, session: WampID)?>(nil)

    init(transport connection: any WampTransport, router: RouterContext, auth configuration: TransportAuthConfiguration) {
        self.connection = connection
        self.serialization = connection.serialization
        self.maxMessageSize = connection.maxOutboundMessageSize
        self.router = router
        self.failureAddress = connection.remoteAddress?.ipAddress ?? "unknown"
        self.logger = router.logger
        self.transportLabel = connection is RawSocketWampTransport ? "rawsocket" : "websocket"
        let info = connection.authTransportInfo
        let realms = router.realms
        machine = Machine(realms: realms, peer: self) { hello, sessionID in
            AuthenticationFlowStep(configuration: configuration, hello: hello, sessionID: sessionID, transport: info, realms: realms)
        }
    }

    /// Runs `work` on this connection's event loop, where all session state lives.
    func eventLoopExecute(_ work: @escaping @Sendable () -> Void) {
        connection.eventLoop.execute(work)
    }

    // MARK: Peer

    func send(_ message: EncodedMessage) {
        Traffic.sent(message)
        connection.send(message)
    }

    /// A message the router built: one that cannot be delivered (larger than a RawSocket peer
    /// takes) is logged and counted, never dropped unseen.
    func send(_ message: WampMessage) {
        recordIfError(message)
        switch deliverable(message) {
        case .success(let encoded):
            Traffic.sent(encoded)
            switch message {
            case .error(let error): Traffic.errorSent(uri: error.error)
            case .abort(let abort): Traffic.abortSent(reason: abort.reason)
            default: break
            }
            connection.send(encoded)
        case .failure(let refusal):
            let before = router.counters.undeliverable.wrappingAdd(1, ordering: .relaxed).oldValue
            // A peer can provoke this in a loop (a tiny RawSocket LENGTH, then call on and on): the
            // first one is logged, then one line per 1024, with the total.
            if before % 1024 == 0 {
                logger.warning("message not sent: \(refusal.message)", metadata: [
                    "message": "\(message.code.name)", "undeliverableTotal": "\(before + 1)",
                ])
            }
            // A caller must not wait for an answer it cannot take (a meta procedure's RESULT).
            if case .result(let result) = message {
                send(.error(ErrorMessage(requestType: .call, request: result.request, error: refusal.errorURI, message: refusal.message)))
            }
        }
    }

    private func recordIfError(_ message: WampMessage) {
        switch message {
        case .error(let error):
            let joined = self.joined.withLock { $0 }
            router.recentErrors.record(kind: "ERROR \(error.requestType.name)", uri: error.error, realm: joined?.realm, session: joined?.session)
        case .abort(let abort):
            router.recentErrors.record(kind: "ABORT", uri: abort.reason, realm: nil, session: nil)
        default:
            break
        }
    }

    /// The connection's loop (for gathering `liveFigures` per loop).
    var eventLoop: any EventLoop { connection.eventLoop }

    /// What the status page shows of this connection that lives on its loop. On the loop only.
    var liveFigures: (messagesReceived: Int, unsentBytes: Int) {
        (messagesReceived, connection.unsentBytes)
    }

    var transportKind: String { connection.kindName }
    var transportIsSecure: Bool { connection.isSecure }

    func kill(reason: String, message: String?) {
        eventLoopExecute {
            guard self.machine.isEstablished else { return }
            self.logger.info("session killed", metadata: ["reason": "\(LogText.quoted(reason))"])
            self.perform(self.machine.endSession(reason: reason, message: message, closeCode: .normalClosure))
        }
    }

    // MARK: WampTransportDelegate

    func transportDidOpen() {
        router.sessionOpened(self)
        if let deadline = connection.handshakeDeadline {
            handshakeTimer = connection.eventLoop.scheduleTask(deadline: deadline) { self.handshakeTimedOut() }
        }
    }

    private func handshakeTimedOut() {
        guard machine.isHandshaking else { return }
        Traffic.timedOut(.wampHandshake)
        let timeout = connection.handshakeTimeout.map(secondsText) ?? "the handshake timeout"
        logger.info("no WELCOME within the handshake timeout; aborting", metadata: ["handshakeTimeout": "\(timeout)"])
        perform(machine.handshakeTimedOut(timeout: timeout))
    }

    func transportDidReceive(_ bytes: ByteBuffer, binary: Bool) {
        messagesReceived &+= 1
        guard binary == serialization.isBinary else {
            let what = binary ? "binary" : "text"
            perform(machine.violation("\(what) messages are not allowed on \(serialization.subprotocol)", closeCode: .unacceptableData))
            return
        }
        let message: WampMessage
        do {
            message = try serialization.decode(bytes, limits: router.decoderLimits)
            Traffic.received(message.code, bytes: bytes.readableBytes, slot: trafficSlot)
        } catch {
            let malformed = error.kind == .invalidJSON || error.kind == .invalidMessagePack || error.kind == .invalidCBOR
            perform(machine.violation(error.description, closeCode: malformed ? .dataInconsistentWithMessage : .policyViolation))
            return
        }
        if let (realm, session) = machine.routing(message) {
            authorize(message, realm: realm, session: session)
        } else {
            perform(machine.received(message))
        }
    }

    func transportDidClose(reason: String) {
        if machine.isEstablished {
            logger.debug("session closed by transport", metadata: ["reason": "\(LogText.quoted(reason))"])
        }
        perform(machine.transportClosed())
        handshakeTimer?.cancel()
        router.sessionClosed(self, messagesReceived: messagesReceived)
    }

    /// Says GOODBYE `wamp.close.system_shutdown` to an established session, or closes a
    /// connection that has none. Runs on the connection's loop.
    func shutDown() {
        perform(machine.endSession(reason: ErrorURI.systemShutdown, message: nil, closeCode: .goingAway))
    }

    /// Closes the connection of a peer that did not answer the shutdown GOODBYE in time.
    func forceClose() {
        perform(machine.forceClose())
    }

    static let goodbyeReplyTimeout = TimeAmount.seconds(5)

    // MARK: Performing the machine's actions

    private func perform(_ actions: [Machine.Action]) {
        for action in actions {
            switch action {
            case .send(let message):
                if case .challenge(let challenge) = message { challengedMethod = challenge.authMethod }
                send(message)
            case .join(let realm, let session):
                join(realm, session)
            case .leave(let realm, let session):
                realm.leave(session)
                router.metrics.sessionLeft(metricsLabels(realm))
                router.realms.releaseSessionID(session.id)
                logger.debug("session left")
                logger[metadataKey: "session"] = nil
            case .releaseSessionID(let id):
                router.realms.releaseSessionID(id)
            case .callAuthenticator(let authenticator, let arguments):
                callAuthenticator(authenticator, arguments: arguments)
            case .authenticationRefused(let reason, let detail):
                router.metrics.authenticated(method: challengedMethod, succeeded: false)
                logger.info("authentication refused", metadata: ["reason": "\(LogText.quoted(reason))", "why": "\(LogText.quoted(detail))"])
            case .abort(let abort, let closeCode, let failedCredentials):
                handshakeTimer?.cancel()
                sendAbort(abort, closeCode: closeCode, failedCredentials: failedCredentials)
            case .close(let code):
                connection.close(code: code, reason: "")
            case .dispatch(let message, let realm, let session):
                authorize(message, realm: realm, session: session)
            case .protocolViolation(let message):
                logger.info("protocol violation", metadata: ["message": "\(LogText.quoted(message))"])
                router.counters.protocolViolations.wrappingAdd(1, ordering: .relaxed)
            case .waitForGoodbyeReply:
                // A peer that never answers does not keep its connection.
                connection.eventLoop.scheduleTask(in: WampSession.goodbyeReplyTimeout) {
                    let actions = self.machine.goodbyeReplyTimedOut()
                    if !actions.isEmpty {
                        Traffic.timedOut(.goodbyeReply)
                        self.logger.info("no GOODBYE reply; closing the connection")
                    }
                    self.perform(actions)
                }
            }
        }
    }

    private func join(_ realm: Realm, _ session: RealmSession) {
        realm.join(session)
        router.metrics.sessionJoined(metricsLabels(realm))
        router.metrics.authenticated(method: session.authmethod, succeeded: true)
        joined.withLock { $0 = (realm.name, session.id) }
        handshakeTimer?.cancel()
        router.authenticationFailures.succeeded(address: failureAddress)
        logger[metadataKey: "session"] = "\(session.id)"
        logger.debug("session joined", metadata: [
            "realm": "\(realm.name)", "authid": "\(LogText.quoted(session.authid))",
            "authrole": "\(LogText.quoted(session.authrole))", "authmethod": "\(session.authmethod)",
        ])
        let welcome = WampMessage.welcome(Welcome(session: session.id, details: router.welcomeDetails(realm: realm.name, session: session)))
        // Encoded once: the bytes that passed the size check are the ones sent.
        switch deliverable(welcome) {
        case .success(let encoded):
            send(encoded)
        case .failure(.tooLarge):
            logger.debug("WELCOME without feature lists: the peer's maximum message size is \(maxMessageSize) octets")
            send(.welcome(Welcome(session: session.id, details: router.welcomeDetails(realm: realm.name, session: session, compactRoles: true))))
        case .failure:
            send(welcome)
        }
    }

    private func metricsLabels(_ realm: Realm) -> SessionLabels {
        SessionLabels(realm: realm.name, transport: transportLabel, serializer: "\(serialization)")
    }

    /// ABORT then close; after wrong credentials, later the more often this address failed.
    private func sendAbort(_ abort: Abort, closeCode: WebSocketErrorCode, failedCredentials: Bool) {
        var delay = TimeAmount.zero
        if failedCredentials {
            delay = router.authenticationFailures.failed(address: failureAddress)
            if delay > .zero { logger.info("ABORT held back after repeated failures from this address", metadata: ["abortDelay": "\(secondsText(delay))"]) }
        }
        guard delay > .zero else {
            send(.abort(abort))
            connection.close(code: closeCode, reason: abort.reason)
            return
        }
        connection.eventLoop.scheduleTask(in: delay) {
            self.send(.abort(abort))
            self.connection.close(code: closeCode, reason: abort.reason)
        }
    }

    private func callAuthenticator(_ authenticator: DynamicAuthenticator, arguments: [JSONValue]) {
        guard let realm = router.realms.realm(named: authenticator.realm) else {
            logger.warning("dynamic authenticator's realm does not exist", metadata: ["realm": "\(authenticator.realm)"])
            perform(machine.authenticatorReturned(.failure(.noSuchProcedure)))
            return
        }
        let list = JSONValue.makeArray()
        for argument in arguments { list.append(argument) }
        realm.callInternally(procedure: authenticator.procedure, arguments: RawJSON(list), timeoutSeconds: router.authenticatorTimeoutSeconds) { result in
            let answer: Swift.Result<JSONValue, AuthenticatorFailure>
            switch result {
            case .success(let value): answer = .success(value.firstArgument ?? .null)
            case .failure(.noSuchProcedure): answer = .failure(.noSuchProcedure)
            case .failure(.timeout): answer = .failure(.timeout)
            case .failure(.error(let uri, let message)): answer = .failure(.error(uri: uri, message: message))
            }
            self.eventLoopExecute { self.perform(self.machine.authenticatorReturned(answer)) }
        }
    }

    // MARK: Authorization and routing

    /// REGISTER, CALL, SUBSCRIBE and PUBLISH go through the realm's authorization first; with a
    /// dynamic authorizer the answer comes later, and reading pauses until it does.
    private func authorize(_ message: WampMessage, realm: Realm, session: RealmSession) {
        // A realm without roles (the development default) checks nothing: one atomic load.
        guard realm.hasRoleTable, let request = AuthorizationRequest(message) else {
            route(message, realm: realm, session: session, disclose: false)
            return
        }
        if let outcome = realm.authorizeNow(request.action, uri: request.uri, session: session) {
            return apply(outcome, to: message, request: request, realm: realm, session: session)
        }
        let outcome = realm.authorize(request.action, uri: request.uri, session: session, options: request.options) { outcome in
            self.eventLoopExecute {
                self.authorizationArrived(outcome, for: message, request: request, realm: realm, session: session)
            }
        }
        guard let outcome else {
            // Until the authorizer answers, nothing more is read, so later messages keep their order.
            connection.pauseReading()
            return
        }
        apply(outcome, to: message, request: request, realm: realm, session: session)
    }

    private func authorizationArrived(_ outcome: AuthorizationOutcome, for message: WampMessage, request: AuthorizationRequest,
                                      realm: Realm, session: RealmSession) {
        defer { connection.resumeReading() }
        // The session may have ended while the authorizer was deciding.
        guard machine.isEstablished(session) else { return }
        apply(outcome, to: message, request: request, realm: realm, session: session)
    }

    private func apply(_ outcome: AuthorizationOutcome, to message: WampMessage, request: AuthorizationRequest,
                       realm: Realm, session: RealmSession) {
        switch outcome {
        case .allowed(let disclose):
            route(message, realm: realm, session: session, disclose: disclose)
        case .denied(let errorURI, let why):
            if let requestType = request.errorRequestType {
                send(.error(ErrorMessage(requestType: requestType, request: request.id, error: errorURI, message: why)))
            } else {
                realm.refusedUnacknowledgedPublish(topic: request.uri, from: session, reason: why)
            }
        }
    }

    private func route(_ message: WampMessage, realm: Realm, session: RealmSession, disclose: Bool) {
        do {
            try dispatch(message, realm: realm, session: session, disclose: disclose)
        } catch {
            perform(machine.violation(error.message))
        }
    }

    private func dispatch(_ message: WampMessage, realm: Realm, session: RealmSession, disclose: Bool) throws(RoutingViolation) {
        switch message {
        case .call(let call):
            try realm.call(call, from: session, discloseCaller: disclose)
        case .yield(let yield):
            if try !realm.dealer.yield(yield, from: session) {
                logger.debug("YIELD for no pending invocation ignored", metadata: ["request": "\(yield.request)"])
            }
        case .publish(let publish):
            if let violation = Broker.passthruViolation(publish, from: session) { throw violation }
            if let refusal = realm.broker.publish(publish, from: session, disclosePublisher: disclose) {
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
        case .cancel(let cancel):
            realm.dealer.cancel(cancel, from: session)
        case .hello, .authenticate, .goodbye, .abort:
            break  // the machine handles these
        case .welcome, .challenge, .published, .subscribed, .unsubscribed, .event, .result,
             .registered, .unregistered, .invocation, .interrupt:
            throw RoutingViolation("\(message.code.name) is sent by routers only, never by a client")
        }
    }
}
