import NIOCore
import Synchronization
import WampMessages

/// The client's bookkeeping, shared between the caller's tasks and the transport's event loop.
/// Everything lives under one mutex; continuations are resumed, handlers called and messages
/// sent only after it is released.
final class ClientState: Sendable {
    typealias Handler = @Sendable (Invocation, WampClient.InvocationContext) async throws -> Payload

    enum Phase { case joining, joined, reconnecting, closed }

    enum Waiter {
        case reply(CheckedContinuation<WampMessage, any Error>)
        case stream(AsyncThrowingStream<Result, any Error>.Continuation)
    }

    struct PendingRequest {
        var waiter: Waiter
        /// Set for calls: their cancellation sends CANCEL with this mode.
        var cancelMode: WampClient.CancelMode?
        /// False until the request is on the wire, so a CANCEL never overtakes its CALL.
        var sent = false
        var cancelRequested = false
        /// For REGISTER and SUBSCRIBE: the record the answer binds, under the same lock that
        /// resolves it, so an INVOCATION or EVENT right behind the answer finds its handler.
        var binding: Binding?
    }

    enum Binding {
        /// `handle` nil: a new registration (its handle becomes the router's ID); set: a restore.
        case registration(handle: WampID?, RegistrationRecord)
        case subscription(handle: WampID?, SubscriptionRecord)
    }

    struct RegistrationRecord {
        var procedure: String
        var options: JSONValue
        var handler: Handler
        var routerID: WampID
    }

    struct SubscriptionRecord {
        var topic: String
        var options: JSONValue
        var handlers: [WampClient.EventHandler]
        var routerID: WampID
    }

    struct RunningInvocation {
        var task: Task<Void, Never>?
        var interruptMode: WampClient.CancelMode?
        var chunks: AsyncThrowingStream<Invocation, any Error>.Continuation?
    }

    struct Storage {
        var phase = Phase.joining
        var transport: (any ClientTransport)?
        var sessionID: WampID = 0
        var welcomeDetails = JSONValue.emptyObject
        var nextRequest: WampID = 1
        var welcome: CheckedContinuation<Welcome, any Error>?
        var goodbye: CheckedContinuation<Goodbye, any Error>?
        var pending: [WampID: PendingRequest] = [:]
        /// Keyed by the ID `register` returned (the first router ID), which survives reconnects.
        var registrations: [WampID: RegistrationRecord] = [:]
        var registrationByRouterID: [WampID: WampID] = [:]
        var subscriptions: [WampID: SubscriptionRecord] = [:]
        var subscriptionByRouterID: [WampID: WampID] = [:]
        /// INVOCATIONs whose handler is running, by INVOCATION request ID (this session's).
        var running: [WampID: RunningInvocation] = [:]
        var closedWaiters: [CheckedContinuation<Void, Never>] = []
        var eventListeners: [UInt64: AsyncStream<WampClient.ConnectionEvent>.Continuation] = [:]
        var nextListener: UInt64 = 0
        var routerClosingReason: String?
        /// Why the client itself dropped a connection: what the router sent that it could not read.
        var protocolFailure: String?
        /// `leave()` or `disconnect()` was called: a transport loss is then the end, not a reason to reconnect.
        var userClosing = false
    }

    let storage = Mutex(Storage())
    let serialization: WampSerialization
    let realm: String
    /// What answers the router's CHALLENGE while joining; `nil`: anonymous only.
    let credentials: WampClient.Credentials?
    let roles: [String]
    let connector: ClientTransportConnector
    let reconnectPolicy: WampClient.ReconnectPolicy?
    let joinTimeout: Duration

    init(serialization: WampSerialization, realm: String, credentials: WampClient.Credentials?, roles: [String],
         connector: ClientTransportConnector, reconnectPolicy: WampClient.ReconnectPolicy?, joinTimeout: Duration) {
        self.joinTimeout = joinTimeout
        self.serialization = serialization
        self.realm = realm
        self.credentials = credentials
        self.roles = roles
        self.connector = connector
        self.reconnectPolicy = reconnectPolicy
    }

    var isClosed: Bool { storage.withLock { $0.phase == .closed } }
    var isJoined: Bool { storage.withLock { $0.phase == .joined } }
    var routerClosingReason: String? { storage.withLock { $0.routerClosingReason } }
    var protocolFailure: String? { storage.withLock { $0.protocolFailure } }
    var sessionID: WampID { storage.withLock { $0.sessionID } }
    var welcomeDetails: JSONValue { storage.withLock { $0.welcomeDetails } }
    var currentTransport: (any ClientTransport)? { storage.withLock { $0.transport } }

    func nextRequestID() -> WampID {
        storage.withLock { storage in
            defer { storage.nextRequest += 1 }
            return storage.nextRequest
        }
    }

    func encode(_ message: WampMessage) throws(WampClientError) -> ByteBuffer {
        do {
            return try serialization.encode(message).bytes
        } catch {
            throw WampClientError.unencodable(error.description)
        }
    }

    /// Sends over the current transport; throws when there is none (closed or reconnecting).
    func send(_ message: WampMessage) throws(WampClientError) {
        let bytes = try encode(message)
        guard let transport = storage.withLock({ $0.phase == .joined ? $0.transport : nil }) else {
            throw WampClientError.connectionClosed
        }
        transport.send(bytes)
    }

    // MARK: Requests

    /// Registers `waiter` for `request`'s answer and sends `message`, or fails the waiter at
    /// once when there is no joined session.
    func start(_ request: WampID, _ message: WampMessage, waiter: Waiter, cancelMode: WampClient.CancelMode? = nil,
               binding: Binding? = nil) {
        let bytes: ByteBuffer
        do {
            bytes = try encode(message)
        } catch {
            Self.fail(waiter, error)
            return
        }
        let transport = storage.withLock { storage -> (any ClientTransport)? in
            guard storage.phase == .joined, let transport = storage.transport else { return nil }
            storage.pending[request] = PendingRequest(waiter: waiter, cancelMode: cancelMode, binding: binding)
            return transport
        }
        guard let transport else {
            Self.fail(waiter, WampClientError.connectionClosed)
            return
        }
        transport.send(bytes)
        let cancelNow = storage.withLock { storage -> Bool in
            guard storage.pending[request] != nil else { return false }
            storage.pending[request]!.sent = true
            return storage.pending[request]!.cancelRequested
        }
        if cancelNow { cancel(request) }
    }

    /// The caller's task was cancelled (or it stopped reading a progressive result stream):
    /// CANCEL with the call's mode, and the waiter throws `CancellationError` now.
    func cancel(_ request: WampID) {
        enum Decision { case none, deferred, cancel(Waiter, WampClient.CancelMode, (any ClientTransport)?) }
        let decision = storage.withLock { storage -> Decision in
            guard let pending = storage.pending[request], let mode = pending.cancelMode else { return .none }
            guard pending.sent else {
                storage.pending[request]!.cancelRequested = true
                return .deferred
            }
            storage.pending[request] = nil
            return .cancel(pending.waiter, mode, storage.transport)
        }
        guard case .cancel(let waiter, let mode, let transport) = decision else { return }
        let options = JSONValue.makeObject()
        options.set("mode", string: mode.rawValue)
        if let transport, let bytes = try? encode(.cancel(Cancel(request: request, options: options))) {
            transport.send(bytes)
        }
        Self.fail(waiter, CancellationError())
    }

    static func fail(_ waiter: Waiter, _ error: any Error) {
        switch waiter {
        case .reply(let continuation): continuation.resume(throwing: error)
        case .stream(let continuation): continuation.finish(throwing: error)
        }
    }

    /// A final answer (RESULT, ERROR, REGISTERED, ...) for `request`; a progressive RESULT
    /// goes to its stream and keeps the request open.
    func resolve(_ request: WampID, with result: Swift.Result<WampMessage, WampClientError>, progressive: Bool = false) {
        let waiter = storage.withLock { storage -> Waiter? in
            guard let pending = storage.pending[request] else { return nil }
            if progressive, case .stream = pending.waiter { return pending.waiter }
            storage.pending[request] = nil
            return pending.waiter
        }
        guard let waiter else { return }
        switch (waiter, result) {
        case (.reply(let continuation), _):
            continuation.resume(with: result.mapError { $0 as any Error })
        case (.stream(let continuation), .success(.result(let answer))):
            continuation.yield(answer)
            if !progressive { continuation.finish() }
        case (.stream(let continuation), .success(let other)):
            continuation.finish(throwing: WampClientError.unexpectedMessage(other.code.name))
        case (.stream(let continuation), .failure(let error)):
            continuation.finish(throwing: error)
        }
    }

    // MARK: Waiting on the session

    func awaitGoodbye(_ continuation: CheckedContinuation<Goodbye, any Error>) -> (any ClientTransport)? {
        let transport = storage.withLock { storage -> (any ClientTransport)? in
            storage.userClosing = true
            guard storage.phase == .joined, let transport = storage.transport else { return nil }
            storage.goodbye = continuation
            return transport
        }
        if transport == nil { continuation.resume(throwing: WampClientError.connectionClosed) }
        return transport
    }

    func awaitClosed(_ continuation: CheckedContinuation<Void, Never>) {
        let closed = storage.withLock { storage -> Bool in
            if storage.phase == .closed { return true }
            storage.closedWaiters.append(continuation)
            return false
        }
        if closed { continuation.resume() }
    }

    func connectionEvents() -> AsyncStream<WampClient.ConnectionEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: WampClient.ConnectionEvent.self, bufferingPolicy: .bufferingNewest(64))
        let id = storage.withLock { storage -> UInt64? in
            guard storage.phase != .closed else { return nil }
            storage.nextListener += 1
            storage.eventListeners[storage.nextListener] = continuation
            return storage.nextListener
        }
        guard let id else {
            continuation.yield(.closed)
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.storage.withLock { $0.eventListeners.removeValue(forKey: id) }
        }
        return stream
    }

    func emit(_ event: WampClient.ConnectionEvent) {
        let listeners = storage.withLock { Array($0.eventListeners.values) }
        for listener in listeners { listener.yield(event) }
    }

    /// `leave()` or `disconnect()`: no reconnect from now on; stops a reconnect in progress.
    @discardableResult
    func markUserClosing() -> (any ClientTransport)? {
        let (transport, endNow) = storage.withLock { storage in
            storage.userClosing = true
            return (storage.transport, storage.phase == .reconnecting)
        }
        if endNow { finish() }
        return transport
    }

    // MARK: Losing the transport

    /// The transport is gone. Everything waiting on it fails (never hangs); running handlers
    /// are cancelled, since their answers could reach nobody. Then either reconnect or close.
    func transportClosed(_ closed: any ClientTransport) {
        struct Loss {
            var welcome: CheckedContinuation<Welcome, any Error>?
            var goodbye: CheckedContinuation<Goodbye, any Error>?
            var pending: [Waiter]
            var running: [RunningInvocation]
            var reconnect: Bool
            var end: Bool
        }
        let loss = storage.withLock { storage -> Loss? in
            guard let current = storage.transport, current === closed else { return nil }
            storage.transport = nil
            let wasJoined = storage.phase == .joined
            let reconnect = wasJoined && !storage.userClosing && reconnectPolicy != nil
            let loss = Loss(welcome: storage.welcome, goodbye: storage.goodbye, pending: storage.pending.values.map(\.waiter),
                            running: Array(storage.running.values), reconnect: reconnect, end: wasJoined && !reconnect)
            storage.welcome = nil
            storage.goodbye = nil
            storage.pending = [:]
            storage.running = [:]
            // The router's IDs belonged to the lost session; the records stay for a restore.
            storage.registrationByRouterID = [:]
            storage.subscriptionByRouterID = [:]
            if reconnect { storage.phase = .reconnecting }
            return loss
        }
        guard let loss else { return }
        loss.welcome?.resume(throwing: WampClientError.connectionClosed)
        loss.goodbye?.resume(throwing: WampClientError.connectionClosed)
        for waiter in loss.pending { Self.fail(waiter, WampClientError.connectionClosed) }
        for invocation in loss.running {
            invocation.task?.cancel()
            invocation.chunks?.finish(throwing: WampClientError.connectionClosed)
        }
        if loss.reconnect, let policy = reconnectPolicy {
            emit(.disconnected(attemptsAllowed: policy.maxAttempts))
            Task { await self.reconnect(policy) }
        } else if loss.end {
            finish()
        }
    }

    /// Closed for good: wake `waitUntilClosed` and end the event streams.
    func finish() {
        let (waiters, listeners) = storage.withLock { storage in
            storage.phase = .closed
            defer { storage.closedWaiters = []; storage.eventListeners = [:] }
            return (storage.closedWaiters, Array(storage.eventListeners.values))
        }
        for waiter in waiters { waiter.resume() }
        for listener in listeners {
            listener.yield(.closed)
            listener.finish()
        }
    }
}
