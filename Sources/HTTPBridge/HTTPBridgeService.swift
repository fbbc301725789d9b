import Logging
import NIOCore
import NIOHTTP1
import Realm
import RouterConfig
import Synchronization
import WampMessages
import WebSocketIO

/// Crossbar's HTTP bridge on one path of a `web` transport: a `publisher` path turns
/// `POST {"topic", "args", "kwargs", "options"}` into PUBLISH, a `caller` path turns
/// `POST {"procedure", ...}` into CALL, both through a session of the path's realm with the
/// configured authrole, so the realm's authorization decides as for any peer.
///
/// Before anything reaches the realm a request passes, in order: the method (POST), the client
/// address (`require_ip`), TLS (`require_tls`), the signature (`key`/`secret`) and its replay
/// check, then the body. Every answer is JSON (see `BridgeResponse` for the statuses).
public final class HTTPBridgeService: HTTPService {
    public enum Role: Sendable { case publisher, caller }

    public let path: String
    public let role: Role
    let options: HTTPBridgeOptions
    private let networks: [IPNetwork]
    private let realm: Realm
    private let session: RealmSession
    private let peer: BridgePeer
    private let eventLoops: any EventLoopGroup
    private let logger: Logger
    private let clock: @Sendable () -> Int64
    private let replay: Mutex<ReplayGuard>
    /// Set by `beginDrain()`: new requests get 503, and a call its callee's departure canceled
    /// gets 503 too (not 502: the router sent the callee away).
    private let draining = Atomic(false)
    /// Set by `close()`: the session has left its realm.
    private let closed = Atomic(false)

    /// nil when `spec` is not a publisher or caller path. Joins the bridge session to `realm`
    /// (it shows in the meta API with authid `http-bridge` and the configured authrole).
    /// `clock`: Unix milliseconds, for the signature's timestamp check.
    public init?(spec: WebServiceSpec, realm: Realm, sessionID: WampID, eventLoops: any EventLoopGroup,
                 maxMessageSize: Int = 16 << 20, logger: Logger,
                 clock: @escaping @Sendable () -> Int64 = { BridgeTimestamp.nowMilliseconds() }) {
        switch spec.kind {
        case .publisher(let options): (role, self.options) = (.publisher, options)
        case .caller(let options): (role, self.options) = (.caller, options)
        case .metrics, .health, .status: return nil
        }
        path = spec.path
        networks = options.requireNetworks
        self.realm = realm
        self.eventLoops = eventLoops
        var logger = logger
        logger[metadataKey: "httpBridge"] = "\(spec.path)"
        self.logger = logger
        self.clock = clock
        replay = Mutex(ReplayGuard(capacity: options.replayMemoryLimit))
        peer = BridgePeer(maxMessageSize: maxMessageSize, logger: logger)
        let roles = JSONValue.parse(role == .publisher ? #"{"publisher": {}}"# : #"{"caller": {}}"#)
        session = RealmSession(id: sessionID, peer: peer, authid: "http-bridge", authrole: options.role, authmethod: "trusted",
                               authprovider: "router", roles: roles)
        realm.join(session)
    }

    /// Requests waiting for the realm's answer (for tests and metrics).
    public var pendingCount: Int { peer.pendingCount }

    /// The bridge session's ID in its realm.
    public var sessionID: WampID { session.id }

    // MARK: Shutdown

    /// The router's shutdown, first step (with the listeners' stop): requests that arrive from
    /// now on get 503 `wamp.close.system_shutdown`; those already waiting may still get their
    /// answer while the sessions drain.
    public func beginDrain() {
        draining.store(true, ordering: .relaxed)
    }

    /// The router's shutdown, last step (the drain's grace is over): every request still waiting
    /// gets 503 `wamp.close.system_shutdown`, and the bridge session leaves its realm (its
    /// pending calls are settled there, the meta API says `on_leave`). The answers are handed to
    /// their connections' loops; those loops must still run for them to be written. Idempotent.
    public func close() {
        beginDrain()
        guard !closed.exchange(true, ordering: .relaxed) else { return }
        let waiting = peer.takeAll()
        if !waiting.isEmpty {
            logger.notice("HTTP bridge requests unanswered at shutdown: answered 503", metadata: ["requests": "\(waiting.count)"])
        }
        for completion in waiting { completion(.shuttingDown) }
        realm.leave(session)
    }

    // MARK: HTTPService

    public func handles(path: String) -> Bool { path == self.path }

    public func maxBodyBytes(for head: HTTPRequestHead, path: String) -> Int { options.postBodyLimit }

    public func bodyTooLargeResponse(for head: HTTPRequestHead, path: String, limit: Int) -> HTTPServiceResponse {
        BridgeResponse.refused(.bodyTooLarge(limit: limit))
    }

    public func respond(to request: HTTPServiceRequest) -> EventLoopFuture<HTTPServiceResponse> {
        let loop = request.eventLoop ?? eventLoops.next()
        let body: BridgeRequestBody
        switch admit(request) {
        case .success(let admitted):
            body = admitted
        case .failure(let refusal):
            logger.debug("HTTP bridge request refused", metadata: [
                "status": "\(refusal.status.code)", "reason": "\(refusal.message)", "remote": "\(request.remoteAddress.map { "\($0)" } ?? "-")",
            ])
            return loop.makeSucceededFuture(BridgeResponse.refused(refusal))
        }
        let promise = loop.makePromise(of: HTTPServiceResponse.self)
        let action: WampAction = role == .publisher ? .publish : .call
        authorize(action, body) { disclose in
            switch self.role {
            case .publisher: self.publish(body, disclose: disclose, promise: promise)
            case .caller: self.call(body, disclose: disclose, promise: promise, loop: loop)
            }
        } denied: { errorURI, message in
            let details = JSONValue.makeObject()
            details.set("message", string: message)
            promise.succeed(BridgeResponse.wampError(errorURI, payload: .empty, details: details))
        }
        return promise.futureResult
    }

    // MARK: Checks

    /// Everything but the realm's own decisions: method, client address, TLS, signature, body.
    func admit(_ request: HTTPServiceRequest) -> Swift.Result<BridgeRequestBody, BridgeRefusal> {
        if draining.load(ordering: .relaxed) { return .failure(.shuttingDown) }
        guard request.head.method == .POST else { return .failure(.methodNotAllowed(request.head.method.rawValue)) }
        if !networks.isEmpty {
            let shown = request.remoteAddress?.ipAddress ?? "(none)"
            guard let address = request.remoteAddress?.ipAddress.flatMap(IPNetwork.parseAddress),
                  networks.contains(where: { $0.contains(address) }) else { return .failure(.clientAddressNotAllowed(shown)) }
        }
        if options.requireTLS && !request.isSecure { return .failure(.tlsRequired) }
        if let signing = options.signing {
            let now = clock()
            let check = RequestSignature(signing: signing, timestampDeltaLimit: options.timestampDeltaLimit)
            switch check.check(QueryParameters(uri: request.head.uri), body: Array(request.body.readableBytesView), nowMilliseconds: now) {
            case .failure(let refusal):
                return .failure(refusal)
            case .success(let accepted):
                switch replay.withLock({ $0.admit(accepted, nowMilliseconds: now) }) {
                case .accepted: break
                case .replayed: return .failure(.replayed)
                case .full:
                    logger.warning("HTTP bridge replay memory full: signed requests refused until entries expire",
                                   metadata: ["capacity": "\(options.replayMemoryLimit)", "option": "replay_memory_limit"])
                    return .failure(.replayMemoryFull(options.replayMemoryLimit))
                }
            }
        }
        return BridgeRequestBody.parse(request.body, uriField: role == .publisher ? "topic" : "procedure")
    }

    /// The realm's authorization, as for a peer's PUBLISH or CALL (a dynamic authorizer answers
    /// later, on its own thread).
    private func authorize(_ action: WampAction, _ body: BridgeRequestBody, allowed: @escaping @Sendable (Bool) -> Void,
                           denied: @escaping @Sendable (String, String) -> Void) {
        guard realm.hasRoleTable else { return allowed(false) }
        let apply: @Sendable (AuthorizationOutcome) -> Void = { outcome in
            switch outcome {
            case .allowed(let disclose): allowed(disclose)
            case .denied(let errorURI, let message): denied(errorURI, message)
            }
        }
        if let outcome = realm.authorize(action, uri: body.uri, session: session, options: body.options, completion: apply) {
            apply(outcome)
        }
    }

    // MARK: Routing

    private func publish(_ body: BridgeRequestBody, disclose: Bool, promise: EventLoopPromise<HTTPServiceResponse>) {
        let request = peer.begin { answer in promise.succeed(self.response(to: answer)) }
        // Crossbar's bridge publishes acknowledged: the answer carries the publication ID.
        body.options.set("acknowledge", bool: true)
        let message = Publish(request: request, options: body.options, topic: body.uri, payload: body.payload)
        if let refusal = realm.broker.publish(message, from: session, disclosePublisher: disclose) {
            // Only an unacknowledged publication is refused this way; kept for safety.
            peer.finish(request, .error(uri: ErrorURI.invalidArgument, payload: .empty, details: Self.details(refusal)))
        }
    }

    private func call(_ body: BridgeRequestBody, disclose: Bool, promise: EventLoopPromise<HTTPServiceResponse>, loop: any EventLoop) {
        let peer = peer
        let request = peer.begin { answer in promise.succeed(self.response(to: answer)) }
        let milliseconds = max(1, Int64((options.callTimeoutSeconds * 1000).rounded(.up)))
        let realm = realm
        let session = session
        let timeout = loop.scheduleTask(in: .milliseconds(milliseconds)) {
            guard let completion = peer.take(request) else { return }
            // Settles the dealer's pending call (and interrupts the callee if it can be) before
            // the answer, so that the HTTP client never sees the call still running.
            let options = JSONValue.makeObject()
            options.set("mode", string: "killnowait")
            realm.dealer.cancel(Cancel(request: request, options: options), from: session)
            completion(.timedOut)
        }
        promise.futureResult.whenComplete { _ in timeout.cancel() }
        // Progressive results would need a streamed answer: the bridge waits for the final one.
        let options = body.options.removing("receive_progress")
        do {
            try realm.call(Call(request: request, options: options, procedure: body.uri, payload: body.payload), from: session,
                           discloseCaller: disclose)
        } catch {
            peer.finish(request, .error(uri: ErrorURI.invalidArgument, payload: .empty, details: Self.details(error.message)))
        }
    }

    private func response(to answer: BridgeAnswer) -> HTTPServiceResponse {
        switch answer {
        case .published(let publication):
            return BridgeResponse.published(publication)
        case .result(let payload):
            return BridgeResponse.result(payload)
        case .error(let uri, _, _) where uri == ErrorURI.canceled && draining.load(ordering: .relaxed):
            // The callee was sent away by the shutdown (it left, so the dealer canceled the call).
            return BridgeResponse.refused(.shuttingDown)
        case .error(let uri, let payload, let details):
            return BridgeResponse.wampError(uri, payload: payload, details: details)
        case .timedOut:
            return BridgeResponse.wampError(ErrorURI.timeout, payload: .empty, details: Self.details(
                "no answer within \(options.callTimeoutSeconds) s (call_timeout); the call was canceled"))
        case .shuttingDown:
            return BridgeResponse.refused(.shuttingDown)
        }
    }

    private static func details(_ message: String) -> JSONValue {
        let details = JSONValue.makeObject()
        details.set("message", string: message)
        return details
    }
}
