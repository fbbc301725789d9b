import NIOCore
import NIOWebSocket
import Synchronization
import WampMessages
import WebSocketIO

/// One WAMP session of the generator, speaking the protocol by hand on its event loop, over a
/// WebSocket or a RawSocket, in JSON, MessagePack or CBOR (`PeerConfig.serialization`).
///
/// Hot messages (RESULT, INVOCATION, EVENT, PUBLISHED) are read with `JSONScanner` or a
/// `BinaryScanner` and written by hand (JSON text, `BinaryWire`) without building values; the
/// rare ones (WELCOME, REGISTERED, SUBSCRIBED, ERROR, ABORT, GOODBYE) are decoded with the
/// router's own codecs (`WampSerialization.decode`). All state is confined to the connection's
/// loop.
final class WampPeer: WebSocketMessageHandler, RawSocketBenchDelegate, @unchecked Sendable {
    enum Role: Sendable { case caller, callee, publisher, subscriber, session, patternHolder }
    enum State { case connecting, established, ready, closing, closed }

    let role: Role
    let stats: LoopStats
    let config: PeerConfig
    let shared: PubSubShared?
    let ready: EventLoopPromise<Void>
    let closed: EventLoopPromise<Void>
    var readyDone = false
    private var closedDone = false

    private(set) var state = State.connecting
    private(set) var link: PeerLink?
    /// Bytes every message buffer reserves for the link's frame header.
    private var headerBytes = 0
    private let allocator = ByteBufferAllocator()
    var connectStart: UInt64 = 0
    var sessionID: UInt64 = 0
    var nextRequest: UInt64 = 1
    /// Calls or acknowledgements in flight.
    var outstanding = 0
    var sentCalls = 0
    var completedCalls = 0
    /// `--payload-bytes` as an extra event argument, already encoded: `,"xxx"` in JSON, a string
    /// item in MessagePack and CBOR (nil when there is none).
    let padding: ByteBuffer?

    // subscriber
    private(set) var expectedSeq: UInt64 = 1
    private(set) var receivedUnique = 0
    private(set) var gaps = 0
    private(set) var duplicates = 0

    // publisher
    var published: UInt64 = 0
    private var rateTask: RepeatedTask?
    private var rateStart: UInt64 = 0

    // pattern holder: SUBSCRIBEs or REGISTERs to send, and how many the router acknowledged
    var patterns: [String] = []
    var patternsRegister = false
    var patternsAcknowledged = 0

    private static let errorPrintBudget = Atomic<Int>(10)

    init(role: Role, stats: LoopStats, config: PeerConfig, shared: PubSubShared? = nil) {
        self.role = role
        self.stats = stats
        self.config = config
        self.shared = shared
        self.ready = stats.loop.makePromise()
        self.closed = stats.loop.makePromise()
        if config.payloadBytes > 0 {
            switch config.serialization {
            case .json:
                var pad = ByteBuffer()
                pad.writeStaticString(",\"")
                pad.writeRepeatingByte(UInt8(ascii: "x"), count: config.payloadBytes)
                pad.writeStaticString("\"")
                padding = pad
            case .msgpack: padding = MsgpackBenchWire.padding(count: config.payloadBytes)
            case .cbor: padding = CBORBenchWire.padding(count: config.payloadBytes)
            }
        } else {
            padding = nil
        }
    }

    var loop: any EventLoop { stats.loop }

    // MARK: WebSocketMessageHandler

    func webSocketDidOpen(_ connection: WebSocketConnection) {
        guard connection.subprotocol == config.serialization.subprotocol else {
            fail("router chose subprotocol \(connection.subprotocol ?? "none"), not \(config.serialization.subprotocol)")
            state = .closing
            connection.close(code: .protocolError, reason: "")
            return
        }
        didOpen(.webSocket(connection, config.serialization.isBinary ? .binary : .text))
    }

    func webSocket(_ connection: WebSocketConnection, didReceive message: ByteBuffer, kind: WebSocketMessageKind) {
        didReceive(message)
    }

    func webSocketDidClose(_ connection: WebSocketConnection, reason: WebSocketCloseReason) {
        didClose("\(reason)")
    }

    // MARK: RawSocketBenchDelegate

    func rawSocketDidOpen(_ handler: RawSocketBenchHandler) {
        didOpen(.rawSocket(handler))
    }

    func rawSocket(_ handler: RawSocketBenchHandler, didReceive message: ByteBuffer) {
        didReceive(message)
    }

    func rawSocketDidClose(_ handler: RawSocketBenchHandler, reason: String) {
        didClose(reason)
    }

    // MARK: either transport

    private func didOpen(_ link: PeerLink) {
        self.link = link
        headerBytes = link.headerBytes
        sendHello()
    }

    private func didReceive(_ message: ByteBuffer) {
        let handled: Bool
        switch config.serialization {
        case .json: handled = receiveJSON(message)
        case .msgpack: handled = receiveBinary(message, MsgpackBenchWire.self)
        case .cbor: handled = receiveBinary(message, CBORBenchWire.self)
        }
        if !handled { receiveRare(message) }
    }

    private func didClose(_ reason: String) {
        if state != .closing {
            fail("connection closed unexpectedly: \(reason)")
        }
        state = .closed
        rateTask?.cancel()
        if !readyDone { readyDone = true; ready.fail(BenchError("closed before ready: \(reason)")) }
        if !closedDone { closedDone = true; closed.succeed(()) }
        self.link = nil
    }

    /// An empty message buffer with the link's frame header reserved in front.
    @inline(__always)
    func startMessage(capacity: Int) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: capacity + headerBytes)
        if headerBytes > 0 { buffer.moveWriterIndex(forwardBy: headerBytes) }
        return buffer
    }

    @inline(__always)
    func send(_ message: ByteBuffer) {
        link?.send(message)
    }

    // MARK: hot path bookkeeping (shared by the serializations)

    /// A RESULT for the call sent at `sent`.
    @inline(__always)
    func completeCall(sent: UInt64) {
        outstanding -= 1
        completedCalls += 1
        if stats.measuring {
            stats.completed += 1
            stats.recordLatency(nowNanos() &- sent)
        }
        if stats.running && state == .ready && budgetLeft { sendCall() }
    }

    /// An EVENT carrying publication `seq`, published at `sent`.
    @inline(__always)
    func receiveEvent(seq: UInt64, sent: UInt64) {
        if seq == expectedSeq {
            expectedSeq += 1
            receivedUnique += 1
        } else if seq > expectedSeq {
            gaps += 1
            receivedUnique += 1
            expectedSeq = seq + 1
        } else {
            duplicates += 1
        }
        if stats.measuring {
            stats.completed += 1
            stats.recordLatency(nowNanos() &- sent)
        }
        if let shared {
            let delivered = shared.delivered.add(1, ordering: .relaxed).newValue
            if let cap = shared.capEvents, shared.publisherWaiting.load(ordering: .relaxed) {
                let inFlight = shared.sentEvents.load(ordering: .relaxed) - delivered
                if inFlight <= cap / 2,
                   shared.publisherWaiting.compareExchange(expected: true, desired: false, ordering: .acquiringAndReleasing).exchanged,
                   let publisher = shared.publisher {
                    publisher.loop.execute { publisher.pump() }
                }
            }
        }
    }

    func receivePublished() -> Bool {
        outstanding -= 1
        pump()
        return true
    }

    // MARK: sending

    var budgetLeft: Bool { config.callBudget.map { sentCalls < $0 } ?? true }
    private var publicationsLeft: Bool { config.publicationBudget.map { Int(published) < $0 } ?? true }

    func sendCall() {
        sentCalls += 1
        let request = nextRequest
        nextRequest += 1
        outstanding += 1
        switch config.serialization {
        case .json: sendCallJSON(request: request)
        case .msgpack: sendCallBinary(request: request, MsgpackBenchWire.self)
        case .cbor: sendCallBinary(request: request, CBORBenchWire.self)
        }
    }

    private func publish() {
        let request = nextRequest
        nextRequest += 1
        if config.acknowledge { outstanding += 1 }
        published += 1
        if let shared { shared.sentEvents.add(shared.subscribers, ordering: .relaxed) }
        switch config.serialization {
        case .json: publishJSON(request: request)
        case .msgpack: publishBinary(request: request, MsgpackBenchWire.self)
        case .cbor: publishBinary(request: request, CBORBenchWire.self)
        }
    }

    /// Caller: fill the window. Publisher: publish at the configured rate, or as fast as the window
    /// and the in-flight cap allow.
    func start() {
        guard state == .ready else { return }
        switch role {
        case .caller:
            while outstanding < config.window && budgetLeft { sendCall() }
        case .publisher:
            if let rate = config.rate {
                rateStart = nowNanos()
                rateTask = loop.scheduleRepeatedTask(initialDelay: .zero, delay: .microseconds(500)) { [self] task in
                    guard stats.running, state == .ready else { task.cancel(); return }
                    let due = Int(Double(nowNanos() - rateStart) / 1e9 * rate) - Int(published)
                    for _ in 0..<min(max(due, 0), 10_000) where publicationsLeft { publish() }
                }
            } else {
                pump()
            }
        default:
            break
        }
    }

    func pump() {
        guard role == .publisher, config.rate == nil else { return }
        var burst = 0
        while stats.running && state == .ready && publicationsLeft {
            if config.acknowledge && outstanding >= config.window { return }
            if let shared, let cap = shared.capEvents {
                let inFlight = shared.sentEvents.load(ordering: .relaxed) - shared.delivered.load(ordering: .relaxed)
                if inFlight + shared.subscribers > cap {
                    shared.publisherWaiting.store(true, ordering: .sequentiallyConsistent)
                    let again = shared.sentEvents.load(ordering: .relaxed) - shared.delivered.load(ordering: .sequentiallyConsistent)
                    if again + shared.subscribers > cap { return }
                    // Deliveries caught up meanwhile: take the wake-up back ourselves, unless a
                    // subscriber already did (then its scheduled pump continues).
                    if !shared.publisherWaiting.compareExchange(expected: true, desired: false, ordering: .acquiringAndReleasing).exchanged {
                        return
                    }
                }
            }
            if burst >= 256 {
                loop.execute { self.pump() }
                return
            }
            publish()
            burst += 1
        }
    }

    /// GOODBYE, then close the connection when the router answers (or after `timeout`).
    func sayGoodbye(timeout: Double = 5) {
        guard let link, state != .closing, state != .closed else { return }
        state = .closing
        rateTask?.cancel()
        sendGoodbye(reason: "wamp.close.normal")
        loop.scheduleTask(in: .nanoseconds(Int64(timeout * 1e9))) { [self] in
            if state == .closing, self.link != nil {
                fail("no GOODBYE answer within \(timeout) s")
                link.close()
            }
        }
    }

    /// Closes the connection without GOODBYE and without waiting: for pattern holders after a
    /// run, whose many patterns a router may take long to tear down.
    func abandon() {
        guard let link, state != .closing, state != .closed else { return }
        state = .closing
        link.close()
    }

    /// Moves the session on (the rare-message path decides when).
    func enter(_ next: State) {
        state = next
    }

    func becomeReady() {
        state = .ready
        if !readyDone { readyDone = true; ready.succeed(()) }
    }

    func fail(_ what: String) {
        stats.errors += 1
        if WampPeer.errorPrintBudget.subtract(1, ordering: .relaxed).newValue >= 0 {
            print("wamp-bench: error: \(what)")
        }
    }
}
