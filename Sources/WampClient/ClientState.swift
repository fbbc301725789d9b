import NIOCore
import Synchronization
import WampMessages
import WebSocketIO

/// The client's bookkeeping, shared between the caller's tasks and the connection's event loop.
final class ClientState: Sendable {
    private struct Storage {
        var connection: WebSocketConnection?
        var nextRequest: WampID = 1
        var welcome: CheckedContinuation<Welcome, any Error>?
        var goodbye: CheckedContinuation<Goodbye, any Error>?
        var pending: [WampID: CheckedContinuation<WampMessage, any Error>] = [:]
        var invocationHandlers: [WampID: WampClient.InvocationHandler] = [:]
        var eventHandlers: [WampID: [WampClient.EventHandler]] = [:]
        var closedWaiters: [CheckedContinuation<Void, Never>] = []
        var routerClosingReason: String?
        var closed = false
    }

    private let storage = Mutex(Storage())
    /// What answers the router's CHALLENGE while joining; `nil`: anonymous only.
    let credentials: WampClient.Credentials?

    init(credentials: WampClient.Credentials? = nil) {
        self.credentials = credentials
    }

    var connection: WebSocketConnection? {
        get { storage.withLock { $0.connection } }
        set { storage.withLock { $0.connection = newValue } }
    }

    var isClosed: Bool { storage.withLock { $0.closed } }
    var routerClosingReason: String? { storage.withLock { $0.routerClosingReason } }

    func nextRequestID() -> WampID {
        storage.withLock { storage in
            let id = storage.nextRequest
            storage.nextRequest += 1
            return id
        }
    }

    func awaitWelcome(_ continuation: CheckedContinuation<Welcome, any Error>) {
        let closed = storage.withLock { storage -> Bool in
            if storage.closed { return true }
            storage.welcome = continuation
            return false
        }
        if closed { continuation.resume(throwing: WampClientError.connectionClosed) }
    }

    func awaitGoodbye(_ continuation: CheckedContinuation<Goodbye, any Error>) {
        let closed = storage.withLock { storage -> Bool in
            if storage.closed { return true }
            storage.goodbye = continuation
            return false
        }
        if closed { continuation.resume(throwing: WampClientError.connectionClosed) }
    }

    func awaitClosed(_ continuation: CheckedContinuation<Void, Never>) {
        let closed = storage.withLock { storage -> Bool in
            if storage.closed { return true }
            storage.closedWaiters.append(continuation)
            return false
        }
        if closed { continuation.resume() }
    }

    /// False when the connection is already gone.
    func awaitReply(to request: WampID, _ continuation: CheckedContinuation<WampMessage, any Error>) -> Bool {
        storage.withLock { storage in
            guard !storage.closed else { return false }
            storage.pending[request] = continuation
            return true
        }
    }

    func setInvocationHandler(_ handler: WampClient.InvocationHandler?, for registration: WampID) {
        storage.withLock { $0.invocationHandlers[registration] = handler }
    }

    func addEventHandler(_ handler: @escaping WampClient.EventHandler, for subscription: WampID) {
        storage.withLock { $0.eventHandlers[subscription, default: []].append(handler) }
    }

    func removeEventHandlers(for subscription: WampID) {
        storage.withLock { $0.eventHandlers[subscription] = nil }
    }

    // MARK: Called on the event loop

    func receive(_ message: WampMessage) {
        switch message {
        case .welcome(let welcome):
            storage.withLock { storage in
                defer { storage.welcome = nil }
                return storage.welcome
            }?.resume(returning: welcome)
        case .challenge(let challenge):
            guard let reply = reply(to: challenge) else { return }
            connection?.send(MessageEncoder.encode(reply).bytes)
            if case .abort(let abort) = reply {
                let welcome = storage.withLock { storage in
                    defer { storage.welcome = nil }
                    return storage.welcome
                }
                welcome?.resume(throwing: WampClientError.aborted(reason: abort.reason, message: abort.details.string("message")))
                connection?.close(code: .normalClosure, reason: "")
            }
        case .abort(let abort):
            let error = WampClientError.aborted(reason: abort.reason, message: abort.details.string("message"))
            let welcome = storage.withLock { storage in
                storage.routerClosingReason = abort.reason
                defer { storage.welcome = nil }
                return storage.welcome
            }
            welcome?.resume(throwing: error)
            failAll(error)
        case .goodbye(let goodbye):
            let waiter = storage.withLock { storage in
                defer { storage.goodbye = nil }
                if storage.goodbye == nil { storage.routerClosingReason = goodbye.reason }
                return storage.goodbye
            }
            if let waiter {
                waiter.resume(returning: goodbye)
            } else if let connection {
                connection.send(MessageEncoder.encode(.goodbye(Goodbye(details: .emptyObject, reason: "wamp.close.goodbye_and_out"))).bytes)
            }
        case .error(let error):
            resolve(error.request, with: .failure(WampClientError.error(uri: error.error, details: error.details, payload: error.payload)))
        case .result(let result):
            resolve(result.request, with: .success(message))
        case .registered(let reply):
            resolve(reply.request, with: .success(message))
        case .unregistered(let reply):
            resolve(reply.request, with: .success(message))
        case .subscribed(let reply):
            resolve(reply.request, with: .success(message))
        case .unsubscribed(let reply):
            resolve(reply.request, with: .success(message))
        case .published(let reply):
            resolve(reply.request, with: .success(message))
        case .event(let event):
            let handlers = storage.withLock { $0.eventHandlers[event.subscription] } ?? []
            for handler in handlers { handler(event) }
        case .invocation(let invocation):
            invoke(invocation)
        default:
            break
        }
    }

    /// AUTHENTICATE (or the client's ABORT) for a CHALLENGE while joining; `nil` once joined,
    /// when a CHALLENGE has no meaning and is ignored.
    func reply(to challenge: Challenge) -> WampMessage? {
        guard storage.withLock({ $0.welcome != nil }) else { return nil }
        return ChallengeResponder.reply(to: challenge, credentials: credentials)
    }

    private func invoke(_ invocation: Invocation) {
        let handler = storage.withLock { $0.invocationHandlers[invocation.registration] }
        guard let connection else { return }
        guard let handler else {
            let error = ErrorMessage(requestType: .invocation, request: invocation.request, details: .emptyObject,
                                     error: "wamp.error.no_such_registration")
            connection.send(MessageEncoder.encode(.error(error)).bytes)
            return
        }
        Task {
            let reply: WampMessage
            do {
                let payload = try await handler(invocation)
                reply = .yield(Yield(request: invocation.request, options: .emptyObject, payload: payload))
            } catch let error as WampInvocationError {
                reply = .error(ErrorMessage(requestType: .invocation, request: invocation.request,
                                            details: .emptyObject, error: error.uri, payload: error.payload))
            } catch {
                reply = .error(ErrorMessage(requestType: .invocation, request: invocation.request,
                                            details: .emptyObject, error: "wamp.error.runtime_error"))
            }
            connection.send(MessageEncoder.encode(reply).bytes)
        }
    }

    private func resolve(_ request: WampID, with result: Swift.Result<WampMessage, any Error>) {
        let continuation = storage.withLock { $0.pending.removeValue(forKey: request) }
        continuation?.resume(with: result)
    }

    private func failAll(_ error: any Error) {
        let (pending, goodbye) = storage.withLock { storage in
            defer { storage.pending = [:]; storage.goodbye = nil }
            return (Array(storage.pending.values), storage.goodbye)
        }
        for continuation in pending { continuation.resume(throwing: error) }
        goodbye?.resume(throwing: error)
    }

    func closed() {
        let (welcome, waiters) = storage.withLock { storage in
            storage.closed = true
            defer { storage.welcome = nil; storage.closedWaiters = [] }
            return (storage.welcome, storage.closedWaiters)
        }
        welcome?.resume(throwing: WampClientError.connectionClosed)
        failAll(WampClientError.connectionClosed)
        for waiter in waiters { waiter.resume() }
    }
}

/// Receives the connection's messages on its event loop and hands them to the client state.
final class ClientHandler: WebSocketMessageHandler {
    private let state: ClientState

    init(state: ClientState) { self.state = state }

    func webSocketDidOpen(_ connection: WebSocketConnection) {}

    func webSocket(_ connection: WebSocketConnection, didReceive message: ByteBuffer, kind: WebSocketMessageKind) {
        guard kind == .text, let decoded = try? MessageDecoder.decode(message) else {
            connection.close(code: .unacceptableData, reason: "not a WAMP message")
            return
        }
        state.receive(decoded)
    }

    func webSocketDidClose(_ connection: WebSocketConnection, reason: WebSocketCloseReason) {
        state.closed()
    }
}
