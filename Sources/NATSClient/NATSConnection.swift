import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A client connection to a NATS server (one at a time, of a list), with keepalive, reconnect
/// and request/reply.
///
/// All state lives on one event loop; public methods may be called from any thread and hop
/// there. Deliveries (`subscribe`'s `onMessage`) and state events run on that loop, so a caller
/// on the same loop (the router's hot path) gets them without a hop. Nothing is buffered while
/// disconnected: `publish` then fails at once with `NATSError.notConnected`, so the caller knows
/// the message did not go and can report it.
public final class NATSConnection: @unchecked Sendable {
    public let eventLoop: any EventLoop
    public let configuration: NATSConnectionConfiguration
    private let logger: Logger
    private let onEvent: (@Sendable (NATSConnectionEvent) -> Void)?

    /// What `publish` reads from any thread: the channel while connected (nil otherwise) and the
    /// server's max_payload. Written only on the loop; no callback runs while it is held.
    private let live = NIOLockedValueBox<(channel: (any Channel)?, maxPayload: Int)>((nil, NATSServerInfo.defaultMaxPayload))
    private let nextSID = NIOLockedValueBox<UInt64>(0)

    // Event-loop confined.
    private var machine: NATSConnectionStateMachine
    private var channel: (any Channel)?
    private var subscriptions: [UInt64: (subscription: NATSSubscription, remaining: Int?, onMessage: (NATSMessage) -> Void)] = [:]
    private var requests: NATSRequestMux
    private var inboxSID: UInt64?
    private var flushWaiters: [EventLoopPromise<Void>?] = []
    private var pingTask: RepeatedTask?
    private var timer: Scheduled<Void>?
    private var connectWaiters: [EventLoopPromise<Void>] = []
    private var closeWaiters: [EventLoopPromise<Void>] = []
    private var flushScheduled = false

    public init(
        configuration: NATSConnectionConfiguration, eventLoop: any EventLoop, logger: Logger = Logger(label: "nats"),
        onEvent: (@Sendable (NATSConnectionEvent) -> Void)? = nil
    ) {
        self.configuration = configuration
        self.eventLoop = eventLoop
        self.logger = logger
        self.onEvent = onEvent
        self.machine = NATSConnectionStateMachine(
            serverCount: configuration.servers.count, maxPingsOutstanding: configuration.maxPingsOutstanding,
            maxReconnectAttempts: configuration.maxReconnectAttempts, reconnectWaitMin: configuration.reconnectWaitMin,
            reconnectWaitMax: configuration.reconnectWaitMax)
        self.requests = NATSRequestMux(limit: configuration.maxPendingRequests)
    }

    /// Starts connecting and returns once the first handshake is done; throws `closed` when the
    /// reconnect attempts run out first (with `maxReconnectAttempts` nil it waits for a server).
    public func connect() async throws {
        try await eventLoop.flatSubmit { () -> EventLoopFuture<Void> in
            if self.machine.isConnected { return self.eventLoop.makeSucceededVoidFuture() }
            if self.machine.state == .closed { return self.eventLoop.makeFailedFuture(NATSError.closed) }
            let promise = self.eventLoop.makePromise(of: Void.self)
            self.connectWaiters.append(promise)
            self.perform(self.machine.start())
            return promise.futureResult
        }.get()
    }

    /// Closes for good: pending requests and flushes fail with `closed`.
    public func close() async {
        try? await eventLoop.flatSubmit { () -> EventLoopFuture<Void> in
            let promise = self.eventLoop.makePromise(of: Void.self)
            self.closeWaiters.append(promise)
            let actions = self.machine.close()
            if actions.isEmpty, self.machine.state == .closed, self.channel == nil { promise.succeed() }
            self.perform(actions)
            return promise.futureResult
        }.get()
    }

    /// The server INFO max_payload of the current connection.
    public var maxPayload: Int { live.withLockedValue { $0.maxPayload } }
    public var isConnected: Bool { live.withLockedValue { $0.channel != nil } }

    // MARK: Publishing

    /// Writes PUB (HPUB with `headers`). Does not wait: throws `notConnected` at once while the
    /// connection is down (nothing is queued), `messageTooLarge` over the server's max_payload,
    /// `invalidSubject`/`invalidHeader` for what the server would misread. Use `flush()` to know
    /// the server has it: a publish that races a drop of the connection is lost without an error.
    public func publish(_ subject: String, payload: ByteBuffer, headers: NATSHeaders? = nil, replyTo: String? = nil) throws {
        let (channel, maxPayload) = live.withLockedValue { ($0.channel, $0.maxPayload) }
        guard let channel else { throw NATSError.notConnected }
        var buffer = channel.allocator.buffer(capacity: payload.readableBytes + subject.utf8.count + 32)
        try NATSClientOperationEncoder.publish(subject: subject, replyTo: replyTo, headers: headers, payload: payload, into: &buffer)
        let size = try NATSClientOperationEncoder.payloadSize(headers: headers, payload: payload)
        guard size <= maxPayload else { throw NATSError.messageTooLarge(size: size, limit: maxPayload) }
        write(buffer, to: channel)
    }

    /// A PING whose PONG proves the server has read everything sent before it.
    public func flush() async throws {
        try await eventLoop.flatSubmit { () -> EventLoopFuture<Void> in
            guard self.machine.isConnected, let channel = self.channel else {
                return self.eventLoop.makeFailedFuture(NATSError.notConnected)
            }
            let promise = self.eventLoop.makePromise(of: Void.self)
            self.flushWaiters.append(promise)
            var buffer = channel.allocator.buffer(capacity: 6)
            NATSClientOperationEncoder.ping(into: &buffer)
            self.write(buffer, to: channel)
            return promise.futureResult
        }.get()
    }

    // MARK: Subscriptions

    /// Subscribes (SUB now if connected, and again after every reconnect until unsubscribed).
    /// `onMessage` runs on the connection's event loop. Throws `invalidSubject` only.
    @discardableResult
    public func subscribe(
        _ subject: String, queueGroup: String? = nil, onMessage: @escaping @Sendable (NATSMessage) -> Void
    ) throws -> NATSSubscription {
        guard NATSSubject.isValidSubscribeSubject(subject) else { throw NATSError.invalidSubject(subject) }
        if let queueGroup, !NATSSubject.isValidQueueGroup(queueGroup) { throw NATSError.invalidSubject(queueGroup) }
        let sid = allocateSID()
        let subscription = NATSSubscription(sid: sid, subject: subject, queueGroup: queueGroup)
        onLoop {
            self.subscriptions[sid] = (subscription, nil, onMessage)
            self.sendSubscribe(subscription)
        }
        return subscription
    }

    /// How many subscriptions this client holds (and renews on reconnect). Event-loop confined;
    /// what the tests watch for subscriptions left behind.
    var subscriptionCount: Int { subscriptions.count }

    /// Ends a subscription; with `afterMessages`, the server (and this client) end it once that
    /// many messages in all have been delivered.
    public func unsubscribe(_ subscription: NATSSubscription, afterMessages: Int? = nil) {
        onLoop {
            if let max = afterMessages, max > 0 {
                self.subscriptions[subscription.sid]?.remaining = max
            } else {
                self.subscriptions[subscription.sid] = nil
            }
            guard self.machine.isConnected, let channel = self.channel else { return }
            var buffer = channel.allocator.buffer(capacity: 24)
            NATSClientOperationEncoder.unsubscribe(sid: subscription.sid, max: afterMessages, into: &buffer)
            self.write(buffer, to: channel)
        }
    }

    // MARK: Request/reply

    /// Publishes with a reply subject on the connection's one inbox subscription and waits for the
    /// first reply. Throws `noResponders` (status 503), `timeout`, `tooManyPendingRequests` over
    /// `maxPendingRequests`, `notConnected` (also when the connection drops while waiting).
    public func request(
        _ subject: String, payload: ByteBuffer, headers: NATSHeaders? = nil, timeout: TimeAmount = .seconds(2)
    ) async throws -> NATSMessage {
        try await requestFuture(subject, payload: payload, headers: headers, timeout: timeout).get()
    }

    public func requestFuture(
        _ subject: String, payload: ByteBuffer, headers: NATSHeaders? = nil, timeout: TimeAmount
    ) -> EventLoopFuture<NATSMessage> {
        eventLoop.flatSubmit { () -> EventLoopFuture<NATSMessage> in
            guard self.machine.isConnected else { return self.eventLoop.makeFailedFuture(NATSError.notConnected) }
            guard let reply = self.requests.nextReplySubject() else {
                return self.eventLoop.makeFailedFuture(NATSError.tooManyPendingRequests(limit: self.requests.limit))
            }
            self.ensureInbox()
            let promise = self.eventLoop.makePromise(of: NATSMessage.self)
            let timer = self.eventLoop.scheduleTask(in: timeout) {
                self.requests.fail(token: reply.token, with: .timeout)
            }
            self.requests.add(token: reply.token, promise: promise, timeout: timer)
            do {
                try self.publish(subject, payload: payload, headers: headers, replyTo: reply.subject)
            } catch {
                self.requests.fail(token: reply.token, with: error as? NATSError ?? .notConnected)
            }
            return promise.futureResult
        }
    }

    /// A fresh subject for a one-off subscription (JetStream deliveries).
    public func newInbox() -> String { "_INBOX." + NATSRequestMux.randomToken() }

    // MARK: Loop-confined machinery

    private func onLoop(_ body: @escaping @Sendable () -> Void) {
        if eventLoop.inEventLoop { body() } else { eventLoop.execute(body) }
    }

    /// On the loop, writes now and flushes once at the end of this loop tick, so a burst of
    /// publishes goes out in few syscalls; from elsewhere, writes and flushes at once.
    private func write(_ buffer: ByteBuffer, to channel: any Channel) {
        guard eventLoop.inEventLoop else {
            channel.writeAndFlush(buffer, promise: nil)
            return
        }
        channel.write(buffer, promise: nil)
        if !flushScheduled {
            flushScheduled = true
            eventLoop.execute {
                self.flushScheduled = false
                channel.flush()
            }
        }
    }

    private func allocateSID() -> UInt64 {
        nextSID.withLockedValue { value -> UInt64 in
            value += 1
            return value
        }
    }

    private func ensureInbox() {
        guard inboxSID == nil else { return }
        let sid = allocateSID()
        inboxSID = sid
        let subscription = NATSSubscription(sid: sid, subject: requests.wildcardSubject, queueGroup: nil)
        subscriptions[sid] = (subscription, nil, { _ in })
        sendSubscribe(subscription)
    }

    private func sendSubscribe(_ subscription: NATSSubscription) {
        guard machine.isConnected, let channel else { return }
        var buffer = channel.allocator.buffer(capacity: subscription.subject.utf8.count + 32)
        try? NATSClientOperationEncoder.subscribe(
            subject: subscription.subject, queueGroup: subscription.queueGroup, sid: subscription.sid, into: &buffer)
        write(buffer, to: channel)
    }

    private func handle(_ operation: NATSServerOperation, from channel: any Channel) {
        guard channel === self.channel else { return }
        switch operation {
        case .info(let info):
            live.withLockedValue { $0.maxPayload = info.maxPayload }
            perform(machine.infoReceived())
        case .ping:
            var buffer = channel.allocator.buffer(capacity: 6)
            NATSClientOperationEncoder.pong(into: &buffer)
            write(buffer, to: channel)
        case .pong:
            if machine.isConnected, !flushWaiters.isEmpty {
                flushWaiters.removeFirst()?.succeed()
            }
            perform(machine.pongReceived())
        case .ok:
            break
        case .err(let text):
            // The server closes the connection after most errors; the close does the rest.
            logger.warning("nats server error", metadata: ["error": "\(text.debugDescription)"])
        case .message(let message):
            deliver(message)
        }
    }

    private func deliver(_ message: NATSMessage) {
        if message.sid == inboxSID {
            requests.deliver(message)
            return
        }
        guard var entry = subscriptions[message.sid] else { return }
        if let remaining = entry.remaining {
            if remaining <= 1 {
                subscriptions[message.sid] = nil
            } else {
                entry.remaining = remaining - 1
                subscriptions[message.sid] = entry
            }
        }
        entry.onMessage(message)
    }

    private func perform(_ actions: [NATSConnectionStateMachine.Action]) {
        for action in actions { perform(action) }
    }

    private func perform(_ action: NATSConnectionStateMachine.Action) {
        switch action {
        case .connect(let index):
            startConnect(to: configuration.servers[index])
        case .sendHandshake:
            guard let channel else { return }
            var buffer = channel.allocator.buffer(capacity: 512)
            NATSClientOperationEncoder.connect(
                configuration.connectOptions,
                into: &buffer)
            for entry in subscriptions.values.sorted(by: { $0.subscription.sid < $1.subscription.sid }) {
                let subscription = entry.subscription
                try? NATSClientOperationEncoder.subscribe(
                    subject: subscription.subject, queueGroup: subscription.queueGroup, sid: subscription.sid, into: &buffer)
                if let remaining = entry.remaining {
                    NATSClientOperationEncoder.unsubscribe(sid: subscription.sid, max: remaining, into: &buffer)
                }
            }
            NATSClientOperationEncoder.ping(into: &buffer)
            channel.writeAndFlush(buffer, promise: nil)
        case .becameConnected(let index, let reconnected):
            timer?.cancel()
            timer = nil
            let server = configuration.servers[index]
            live.withLockedValue { $0.channel = channel }
            logger.info("nats connected", metadata: ["server": "\(server)"])
            pingTask = eventLoop.scheduleRepeatedTask(initialDelay: configuration.pingInterval, delay: configuration.pingInterval) { _ in
                self.perform(self.machine.pingTimerFired())
            }
            // The event first: whoever awaits `connect()` then finds the state already reported.
            onEvent?(reconnected ? .reconnected(server) : .connected(server))
            let waiters = connectWaiters
            connectWaiters = []
            waiters.forEach { $0.succeed() }
        case .sendPing:
            guard let channel else { return }
            flushWaiters.append(nil)
            var buffer = channel.allocator.buffer(capacity: 6)
            NATSClientOperationEncoder.ping(into: &buffer)
            write(buffer, to: channel)
        case .closeChannel:
            channel?.close(promise: nil)
        case .scheduleReconnect(_, let delay):
            timer?.cancel()
            timer = eventLoop.scheduleTask(in: delay) {
                self.perform(self.machine.reconnectTimerFired())
            }
        case .becameDisconnected:
            live.withLockedValue { $0.channel = nil }
            pingTask?.cancel()
            pingTask = nil
            failWaiters(with: .notConnected)
            logger.warning("nats disconnected")
            onEvent?(.disconnected)
        case .becameClosed:
            live.withLockedValue { $0.channel = nil }
            timer?.cancel()
            timer = nil
            pingTask?.cancel()
            pingTask = nil
            failWaiters(with: .closed)
            let waiters = connectWaiters
            connectWaiters = []
            waiters.forEach { $0.fail(NATSError.closed) }
            if channel == nil { finishClose() }
            onEvent?(.closed)
        }
    }

    private func failWaiters(with error: NATSError) {
        let flushes = flushWaiters
        flushWaiters = []
        flushes.forEach { $0?.fail(error) }
        requests.failAll(with: error)
    }

    private func finishClose() {
        let waiters = closeWaiters
        closeWaiters = []
        waiters.forEach { $0.succeed() }
    }

    private func startConnect(to server: NATSServerAddress) {
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(configuration.connectTimeout)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = NATSChannelHandler(
                        maxControlLine: self.configuration.maxControlLine,
                        onOperation: { [weak channel] operation in
                            guard let channel else { return }
                            self.handle(operation, from: channel)
                        },
                        onError: { error in
                            self.logger.warning("nats protocol error", metadata: ["error": "\(error)"])
                        })
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
        bootstrap.connect(host: server.host, port: server.port).whenComplete { result in
            switch result {
            case .success(let channel):
                guard case .connecting = self.machine.state else {
                    channel.close(promise: nil)  // closed meanwhile
                    return
                }
                self.channel = channel
                channel.closeFuture.whenComplete { _ in self.channelDidClose(channel) }
                self.perform(self.machine.channelActive())
                self.timer = self.eventLoop.scheduleTask(in: self.configuration.connectTimeout) {
                    self.perform(self.machine.handshakeTimedOut())
                }
            case .failure(let error):
                self.logger.debug("nats connect failed", metadata: ["server": "\(server)", "error": "\(error)"])
                self.perform(self.machine.channelClosed())
                if self.machine.state == .closed { self.finishClose() }
            }
        }
    }

    private func channelDidClose(_ closed: any Channel) {
        guard closed === channel else { return }
        channel = nil
        timer?.cancel()
        timer = nil
        live.withLockedValue { $0.channel = nil }
        perform(machine.channelClosed())
        if machine.state == .closed { finishClose() }
    }
}
