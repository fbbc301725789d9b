import NIOCore
import NIOPosix
import Synchronization
import WampMessages
import WebSocketIO

/// A WAMP v2 client over WebSocket (`wamp.2.json`): join a realm, call and register procedures,
/// publish and subscribe. Requests are async; events and invocations are delivered in the order
/// the router sent them.
public final class WampClient: Sendable {
    public typealias InvocationHandler = @Sendable (Invocation) async throws -> Payload
    public typealias EventHandler = @Sendable (Event) -> Void

    private let connection: WebSocketConnection
    private let state: ClientState
    public let sessionID: WampID
    /// WELCOME.Details as the router sent them.
    public let welcomeDetails: JSONValue

    private init(connection: WebSocketConnection, state: ClientState, welcome: Welcome) {
        self.connection = connection
        self.state = state
        self.sessionID = welcome.session
        self.welcomeDetails = welcome.details
    }

    /// Connects to `ws://host:port/`, says HELLO for `realm` and returns once WELCOME arrives.
    /// With `credentials` it offers their methods and answers the router's CHALLENGE; an ABORT
    /// (wrong credentials, say) throws `WampClientError.aborted`.
    public static func connect(
        host: String = "127.0.0.1", port: Int, realm: String,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        roles: [String] = ["caller", "callee", "publisher", "subscriber"],
        credentials: Credentials? = nil
    ) async throws -> WampClient {
        let state = ClientState(credentials: credentials)
        let handler = ClientHandler(state: state)
        let connection = try await WebSocketClient.connect(
            host: host, port: port, path: "/", subprotocols: ["wamp.2.json"], group: group, handler: handler)
        state.connection = connection
        let details = JSONValue.makeObject()
        let rolesObject = JSONValue.makeObject()
        for role in roles { rolesObject.set(role, JSONValue.makeObject()) }
        details.set("roles", rolesObject)
        credentials?.addHelloDetails(to: details)
        let welcome = try await withCheckedThrowingContinuation { continuation in
            state.awaitWelcome(continuation)
            connection.send(MessageEncoder.encode(.hello(Hello(realm: realm, details: details))).bytes)
        }
        return WampClient(connection: connection, state: state, welcome: welcome)
    }

    // MARK: RPC

    public func call(_ procedure: String, arguments: RawJSON? = nil, argumentsKw: RawJSON? = nil,
                     options: JSONValue = .emptyObject) async throws -> Result {
        let reply = try await request { id in
            .call(Call(request: id, options: options, procedure: procedure,
                       payload: Payload(arguments: arguments, argumentsKw: argumentsKw)))
        }
        guard case .result(let result) = reply else { throw WampClientError.unexpectedMessage("\(reply.code.name)") }
        return result
    }

    public func register(_ procedure: String, options: JSONValue = .emptyObject,
                         handler: @escaping InvocationHandler) async throws -> WampID {
        let reply = try await request { id in .register(Register(request: id, options: options, procedure: procedure)) }
        guard case .registered(let registered) = reply else { throw WampClientError.unexpectedMessage("\(reply.code.name)") }
        state.setInvocationHandler(handler, for: registered.registration)
        return registered.registration
    }

    public func unregister(_ registration: WampID) async throws {
        let reply = try await request { id in .unregister(Unregister(request: id, registration: registration)) }
        guard case .unregistered = reply else { throw WampClientError.unexpectedMessage("\(reply.code.name)") }
        state.setInvocationHandler(nil, for: registration)
    }

    // MARK: Pub/sub

    public func subscribe(_ topic: String, options: JSONValue = .emptyObject,
                          handler: @escaping EventHandler) async throws -> WampID {
        let reply = try await request { id in .subscribe(Subscribe(request: id, options: options, topic: topic)) }
        guard case .subscribed(let subscribed) = reply else { throw WampClientError.unexpectedMessage("\(reply.code.name)") }
        state.addEventHandler(handler, for: subscribed.subscription)
        return subscribed.subscription
    }

    public func unsubscribe(_ subscription: WampID) async throws {
        let reply = try await request { id in .unsubscribe(Unsubscribe(request: id, subscription: subscription)) }
        guard case .unsubscribed = reply else { throw WampClientError.unexpectedMessage("\(reply.code.name)") }
        state.removeEventHandlers(for: subscription)
    }

    /// Publishes; with `acknowledge` waits for PUBLISHED and returns the publication ID.
    @discardableResult
    public func publish(_ topic: String, arguments: RawJSON? = nil, argumentsKw: RawJSON? = nil,
                        acknowledge: Bool = false, excludeMe: Bool? = nil) async throws -> WampID? {
        let options = JSONValue.makeObject()
        if acknowledge { options.set("acknowledge", bool: true) }
        if let excludeMe { options.set("exclude_me", bool: excludeMe) }
        let payload = Payload(arguments: arguments, argumentsKw: argumentsKw)
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

    /// Says GOODBYE, waits for the router's GOODBYE, then closes the connection.
    public func leave(reason: String = "wamp.close.close_realm") async throws {
        _ = try await withCheckedThrowingContinuation { continuation in
            state.awaitGoodbye(continuation)
            connection.send(MessageEncoder.encode(.goodbye(Goodbye(details: .emptyObject, reason: reason))).bytes)
        }
        connection.close(code: .normalClosure, reason: "")
    }

    /// Drops the connection without GOODBYE (as a crashed peer would).
    public func disconnect() {
        connection.close(code: .goingAway, reason: "")
    }

    /// GOODBYE or ABORT the router sent on its own, if any (e.g. `wamp.close.system_shutdown`).
    public var routerClosingReason: String? { state.routerClosingReason }

    /// Waits until the connection is gone.
    public func waitUntilClosed() async {
        await withCheckedContinuation { continuation in state.awaitClosed(continuation) }
    }

    public func send(_ message: WampMessage) throws {
        guard !state.isClosed else { throw WampClientError.connectionClosed }
        connection.send(MessageEncoder.encode(message).bytes)
    }

    private func request(_ make: (WampID) -> WampMessage) async throws -> WampMessage {
        let id = state.nextRequestID()
        let message = make(id)
        return try await withCheckedThrowingContinuation { continuation in
            guard state.awaitReply(to: id, continuation) else {
                continuation.resume(throwing: WampClientError.connectionClosed)
                return
            }
            connection.send(MessageEncoder.encode(message).bytes)
        }
    }
}
