import NIOCore
import NIOPosix
import WampMessages
import WebSocketIO

/// A WAMP v2 client for Swift concurrency: join a realm, call and register procedures, publish
/// and subscribe, over WebSocket or RawSocket (TCP, Unix socket) with JSON, MessagePack or CBOR.
///
/// Requests are `async` and answer with the router's reply or throw `WampClientError`.
/// Cancelling the task that awaits a call sends CANCEL (see `CancelMode`); progressive results
/// arrive as an `AsyncSequence` (`callProgressive`); handlers may stream progressive results
/// back (`InvocationContext`). With a `ReconnectPolicy` the client survives a lost transport
/// and restores its registrations and subscriptions. Events and invocations are delivered in
/// the order the router sent them. See the README's "Swift client" section.
public final class WampClient: Sendable {
    /// Answers an INVOCATION with the YIELD payload; throw `WampInvocationError` for an ERROR
    /// with a URI of your choosing (anything else becomes `wamp.error.runtime_error`).
    public typealias InvocationHandler = @Sendable (Invocation) async throws -> Payload
    /// As `InvocationHandler`, with the context for progressive results and invocations.
    public typealias ProgressiveInvocationHandler = @Sendable (Invocation, InvocationContext) async throws -> Payload
    /// Called on the connection's event loop, in publication order: keep it short, hand long
    /// work to a task.
    public typealias EventHandler = @Sendable (Event) -> Void

    let state: ClientState

    /// This session's ID; a new one after each automatic reconnect.
    public var sessionID: WampID { state.sessionID }
    /// WELCOME.Details as the router sent them (the latest session's, after a reconnect).
    public var welcomeDetails: JSONValue { state.welcomeDetails }
    /// The serializer this client speaks.
    public var serialization: WampSerialization { state.serialization }
    /// True while joined; false while reconnecting and once closed.
    public var isConnected: Bool { state.isJoined }

    init(state: ClientState) {
        self.state = state
    }

    /// Connects to `ws://host:port/path`, says HELLO for `realm` and returns once WELCOME
    /// arrives.
    ///
    /// - Parameters:
    ///   - serialization: the WAMP serializer, offered as the only WebSocket subprotocol;
    ///     MessagePack and CBOR go in binary frames and carry binary values JSON cannot.
    ///   - credentials: methods to offer; the client answers the router's CHALLENGE. An ABORT
    ///     (wrong credentials, say) throws `WampClientError.aborted`.
    ///   - reconnect: automatic reconnect after a lost transport; `nil` (the default) ends
    ///     the client on the first loss, which is what tests and short-lived tools want.
    ///   - joinTimeout: how long the router may take to WELCOME before the attempt fails.
    public static func connect(
        host: String = "127.0.0.1", port: Int, path: String = "/", realm: String,
        serialization: WampSerialization = .json,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        roles: [String] = ["caller", "callee", "publisher", "subscriber"],
        credentials: Credentials? = nil,
        reconnect: ReconnectPolicy? = nil,
        transportSecurity: (any WebSocketTransportSecurity)? = nil,
        maxMessageSize: Int = 16 << 20,
        joinTimeout: Duration = .seconds(10)
    ) async throws -> WampClient {
        let connector = WebSocketClientTransport.connector(
            host: host, port: port, path: path, maxMessageSize: maxMessageSize,
            transportSecurity: transportSecurity, group: group)
        return try await connect(connector: connector, realm: realm, serialization: serialization, roles: roles,
                                 credentials: credentials, reconnect: reconnect, joinTimeout: joinTimeout)
    }

    /// Connects over any transport (the WebSocket and RawSocket entry points use this).
    static func connect(
        connector: ClientTransportConnector, realm: String, serialization: WampSerialization, roles: [String],
        credentials: Credentials?, reconnect: ReconnectPolicy?, joinTimeout: Duration
    ) async throws -> WampClient {
        let state = ClientState(serialization: serialization, realm: realm, credentials: credentials, roles: roles,
                                connector: connector, reconnectPolicy: reconnect, joinTimeout: joinTimeout)
        _ = try await state.join()
        return WampClient(state: state)
    }

    // MARK: RPC

    /// Calls `procedure` and returns its RESULT. Cancelling the awaiting task sends CANCEL
    /// with `cancelMode` and throws `CancellationError` at once.
    public func call(_ procedure: String, arguments: RawJSON? = nil, argumentsKw: RawJSON? = nil,
                     options: JSONValue = .emptyObject, cancelMode: CancelMode = .kill) async throws -> Result {
        try await call(procedure, payload: Payload(arguments: arguments, argumentsKw: argumentsKw),
                       options: options, cancelMode: cancelMode)
    }

    /// `call` with a ready payload (say, one built from `WampValue`s, or another result's).
    public func call(_ procedure: String, payload: Payload, options: JSONValue = .emptyObject,
                     cancelMode: CancelMode = .kill) async throws -> Result {
        try Task.checkCancellation()
        // One answer is all this awaits: progressive results are `callProgressive`'s business.
        let callOptions = options.count > 0 && options.contains("receive_progress") ? options.removing("receive_progress") : options
        let id = state.nextRequestID()
        let message = WampMessage.call(Call(request: id, options: callOptions, procedure: procedure, payload: payload))
        let reply = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                state.start(id, message, waiter: .reply(continuation), cancelMode: cancelMode)
            }
        } onCancel: {
            state.cancel(id)
        }
        guard case .result(let result) = reply else { throw WampClientError.unexpectedMessage("\(reply.code.name)") }
        return result
    }

    /// Registers `procedure`; `handler` answers each INVOCATION in a task of its own, which
    /// an INTERRUPT (the caller cancelled) cancels. Returns the ID for `unregister`, stable
    /// across reconnects.
    public func register(_ procedure: String, options: JSONValue = .emptyObject,
                         handler: @escaping InvocationHandler) async throws -> WampID {
        try await register(procedure, options: options) { invocation, _ in try await handler(invocation) }
    }

    /// Registers `procedure` with a handler that may send progressive results
    /// (`context.sendProgress`) and read the chunks of a progressive invocation
    /// (`context.chunks`).
    public func register(_ procedure: String, options: JSONValue = .emptyObject,
                         handler: @escaping ProgressiveInvocationHandler) async throws -> WampID {
        let record = ClientState.RegistrationRecord(procedure: procedure, options: options, handler: handler, routerID: 0)
        let reply = try await request(binding: .registration(handle: nil, record)) { id in
            .register(Register(request: id, options: options, procedure: procedure))
        }
        guard case .registered(let registered) = reply else { throw WampClientError.unexpectedMessage("\(reply.code.name)") }
        return registered.registration
    }

    public func unregister(_ registration: WampID) async throws {
        let routerID = state.storage.withLock { $0.registrations[registration]?.routerID } ?? registration
        let reply = try await request { id in .unregister(Unregister(request: id, registration: routerID)) }
        guard case .unregistered = reply else { throw WampClientError.unexpectedMessage("\(reply.code.name)") }
        state.storage.withLock { storage in
            storage.registrations[registration] = nil
            storage.registrationByRouterID[routerID] = nil
        }
    }

    // MARK: Pub/sub

    /// Subscribes `handler` to `topic`. Subscribing the same topic again adds a handler to the
    /// same subscription (same ID). The ID stays valid across reconnects.
    public func subscribe(_ topic: String, options: JSONValue = .emptyObject,
                          handler: @escaping EventHandler) async throws -> WampID {
        let record = ClientState.SubscriptionRecord(topic: topic, options: options, handlers: [handler], routerID: 0)
        let reply = try await request(binding: .subscription(handle: nil, record)) { id in
            .subscribe(Subscribe(request: id, options: options, topic: topic))
        }
        guard case .subscribed(let subscribed) = reply else { throw WampClientError.unexpectedMessage("\(reply.code.name)") }
        return subscribed.subscription
    }

    /// Ends the subscription and drops all its handlers.
    public func unsubscribe(_ subscription: WampID) async throws {
        let routerID = state.storage.withLock { $0.subscriptions[subscription]?.routerID } ?? subscription
        let reply = try await request { id in .unsubscribe(Unsubscribe(request: id, subscription: routerID)) }
        guard case .unsubscribed = reply else { throw WampClientError.unexpectedMessage("\(reply.code.name)") }
        state.storage.withLock { storage in
            storage.subscriptions[subscription] = nil
            storage.subscriptionByRouterID[routerID] = nil
        }
    }

    /// Publishes; with `acknowledge` waits for PUBLISHED and returns the publication ID.
    @discardableResult
    public func publish(_ topic: String, arguments: RawJSON? = nil, argumentsKw: RawJSON? = nil,
                        acknowledge: Bool = false, excludeMe: Bool? = nil) async throws -> WampID? {
        try await publish(topic, payload: Payload(arguments: arguments, argumentsKw: argumentsKw),
                          acknowledge: acknowledge, excludeMe: excludeMe)
    }

    /// `publish` with a ready payload.
    @discardableResult
    public func publish(_ topic: String, payload: Payload, acknowledge: Bool = false,
                        excludeMe: Bool? = nil) async throws -> WampID? {
        let options = JSONValue.makeObject()
        if acknowledge { options.set("acknowledge", bool: true) }
        if let excludeMe { options.set("exclude_me", bool: excludeMe) }
        guard acknowledge else {
            let id = state.nextRequestID()
            try send(.publish(Publish(request: id, options: options, topic: topic, payload: payload)))
            return nil
        }
        let reply = try await request { id in .publish(Publish(request: id, options: options, topic: topic, payload: payload)) }
        guard case .published(let published) = reply else { throw WampClientError.unexpectedMessage("\(reply.code.name)") }
        return published.publication
    }

    // MARK: Session

    /// Says GOODBYE, waits for the router's GOODBYE, then closes the connection. Ends any
    /// automatic reconnect; while reconnecting it just closes. A router that does not answer
    /// within `timeout` is disconnected instead, so leaving never hangs.
    public func leave(reason: String = "wamp.close.close_realm", timeout: Duration = .seconds(10)) async throws {
        state.markUserClosing()
        let goodbye = try state.encode(.goodbye(Goodbye(details: .emptyObject, reason: reason)))
        let transport = state.currentTransport
        let timer = Task {
            try await Task.sleep(for: timeout)
            transport?.close()
        }
        defer { timer.cancel() }
        do {
            _ = try await withCheckedThrowingContinuation { continuation in
                state.awaitGoodbye(continuation)?.send(goodbye)
            }
        } catch WampClientError.connectionClosed {
            state.currentTransport?.close()
            return
        }
        state.currentTransport?.close()
    }

    /// Drops the connection without GOODBYE (as a crashed peer would). No reconnect follows.
    public func disconnect() {
        state.markUserClosing()?.close()
    }

    /// Drops the transport as a network failure would: with a reconnect policy the client
    /// dials again. For tests of reconnect.
    package func dropTransport() {
        state.currentTransport?.close()
    }

    /// GOODBYE or ABORT the router sent on its own, if any (e.g. `wamp.close.system_shutdown`).
    public var routerClosingReason: String? { state.routerClosingReason }

    /// Why the client dropped the connection on its own, if it did: the router sent a message
    /// it could not decode, or a frame of the wrong kind for the serializer.
    public var protocolFailure: String? { state.protocolFailure }

    /// Waits until the client is closed for good (after a reconnect policy gave up, if any).
    public func waitUntilClosed() async {
        await withCheckedContinuation { continuation in state.awaitClosed(continuation) }
    }

    /// Disconnections, rejoins and the final close, as they happen. Each call makes a new
    /// stream (the newest 64 events are kept for a slow reader); it ends after `.closed`.
    public func connectionEvents() -> AsyncStream<ConnectionEvent> {
        state.connectionEvents()
    }

    /// Sends any message as is (tests use it to break the protocol on purpose).
    public func send(_ message: WampMessage) throws {
        try state.send(message)
    }

    func request(binding: ClientState.Binding? = nil, _ make: (WampID) -> WampMessage) async throws -> WampMessage {
        let id = state.nextRequestID()
        let message = make(id)
        return try await withCheckedThrowingContinuation { continuation in
            state.start(id, message, waiter: .reply(continuation), binding: binding)
        }
    }
}
