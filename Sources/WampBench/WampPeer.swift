import NIOCore
import NIOWebSocket
import Synchronization
import WampMessages
import WebSocketIO

/// What the pub/sub run shares across loops: how many events were sent and delivered (to cap the
/// deliveries in flight at max rate) and how to wake the publisher when it waits on that cap.
final class PubSubShared: @unchecked Sendable {
    let subscribers: Int
    /// Cap on events (publications x subscribers) in flight; nil when publishing at a fixed rate.
    let capEvents: Int?
    let sentEvents = Atomic<Int>(0)
    let delivered = Atomic<Int>(0)
    let publisherWaiting = Atomic<Bool>(false)
    /// Set once before publishing starts.
    var publisher: WampPeer?

    init(subscribers: Int, capEvents: Int?) {
        self.subscribers = subscribers
        self.capEvents = capEvents
    }
}

struct PeerConfig: Sendable {
    var realm: String
    var procedure = "bench.echo"
    /// The callee's REGISTER options (e.g. `{"match":"wildcard"}`) and URI, when not `procedure` exact.
    var calleeRegistration: (options: String, uri: String)?
    var topic = "bench.topic"
    /// Calls (caller) or unacknowledged publications (publisher with ack) kept outstanding.
    var window = 1
    var acknowledge = false
    /// Publications per second; nil for max rate.
    var rate: Double?
    var payloadBytes = 0
    /// Caller: stop after this many calls (fixed-work runs).
    var callBudget: Int?
}

/// One WAMP session of the generator, speaking the protocol by hand on its event loop.
///
/// Hot messages (RESULT, INVOCATION, EVENT, PUBLISHED) are read with `JSONScanner` and written as
/// hand-built text; the rare ones (WELCOME, REGISTERED, SUBSCRIBED, ERROR, ABORT, GOODBYE) go
/// through `MessageDecoder`/`MessageEncoder`. All state is confined to the connection's loop.
final class WampPeer: WebSocketMessageHandler, @unchecked Sendable {
    enum Role: Sendable { case caller, callee, publisher, subscriber, session, patternHolder }
    enum State { case connecting, established, ready, closing, closed }

    let role: Role
    let stats: LoopStats
    let config: PeerConfig
    let shared: PubSubShared?
    let ready: EventLoopPromise<Void>
    let closed: EventLoopPromise<Void>
    private var readyDone = false
    private var closedDone = false

    private(set) var state = State.connecting
    private var connection: WebSocketConnection?
    private let allocator = ByteBufferAllocator()
    var connectStart: UInt64 = 0
    var sessionID: UInt64 = 0
    private var nextRequest: UInt64 = 1
    /// Calls or acknowledgements in flight.
    private(set) var outstanding = 0
    private(set) var sentCalls = 0
    private(set) var completedCalls = 0
    private var padding: ByteBuffer

    // subscriber
    private(set) var expectedSeq: UInt64 = 1
    private(set) var receivedUnique = 0
    private(set) var gaps = 0
    private(set) var duplicates = 0

    // publisher
    private(set) var published: UInt64 = 0
    private var rateTask: RepeatedTask?
    private var rateStart: UInt64 = 0

    // pattern holder: SUBSCRIBEs or REGISTERs to send, and how many the router acknowledged
    var patterns: [String] = []
    var patternsRegister = false
    private(set) var patternsAcknowledged = 0

    private static let errorPrintBudget = Atomic<Int>(10)

    init(role: Role, stats: LoopStats, config: PeerConfig, shared: PubSubShared? = nil) {
        self.role = role
        self.stats = stats
        self.config = config
        self.shared = shared
        self.ready = stats.loop.makePromise()
        self.closed = stats.loop.makePromise()
        var pad = ByteBuffer()
        if config.payloadBytes > 0 {
            pad.writeStaticString(",\"")
            pad.writeRepeatingByte(UInt8(ascii: "x"), count: config.payloadBytes)
            pad.writeStaticString("\"")
        }
        self.padding = pad
    }

    var loop: any EventLoop { stats.loop }

    // MARK: WebSocketMessageHandler

    func webSocketDidOpen(_ connection: WebSocketConnection) {
        self.connection = connection
        var hello = allocator.buffer(capacity: 128)
        hello.writeStaticString("[1,\"")
        hello.writeString(config.realm)
        hello.writeStaticString("\",{\"roles\":{\"caller\":{},\"callee\":{},\"publisher\":{},\"subscriber\":{}}}]")
        connection.send(hello, kind: .text)
    }

    func webSocket(_ connection: WebSocketConnection, didReceive message: ByteBuffer, kind: WebSocketMessageKind) {
        let handled = message.withUnsafeReadableBytes { raw -> Bool in
            var scanner = JSONScanner(raw)
            guard scanner.expect(UInt8(ascii: "[")), let code = scanner.readUInt(), scanner.expect(UInt8(ascii: ",")) else {
                return false
            }
            switch code {
            case 50 where role == .caller: return receiveResult(&scanner)
            case 68 where role == .callee: return receiveInvocation(&scanner, raw)
            case 36 where role == .subscriber: return receiveEvent(&scanner)
            case 17 where role == .publisher: return receivePublished()
            default: return false
            }
        }
        if !handled { receiveRare(message) }
    }

    func webSocketDidClose(_ connection: WebSocketConnection, reason: WebSocketCloseReason) {
        if state != .closing {
            fail("connection closed unexpectedly: \(reason)")
        }
        state = .closed
        rateTask?.cancel()
        if !readyDone { readyDone = true; ready.fail(BenchError("closed before ready")) }
        if !closedDone { closedDone = true; closed.succeed(()) }
        self.connection = nil
    }

    // MARK: hot path

    private func receiveResult(_ s: inout JSONScanner) -> Bool {
        guard s.readUInt() != nil, s.expect(UInt8(ascii: ",")), s.skipValue(), s.expect(UInt8(ascii: ",")),
              s.expect(UInt8(ascii: "[")), let sent = s.readUInt() else { return false }
        outstanding -= 1
        completedCalls += 1
        if stats.measuring {
            stats.completed += 1
            stats.recordLatency(nowNanos() &- sent)
        }
        if stats.running && state == .ready && budgetLeft { sendCall() }
        return true
    }

    private func receiveInvocation(_ s: inout JSONScanner, _ raw: UnsafeRawBufferPointer) -> Bool {
        guard let request = s.readUInt(), s.expect(UInt8(ascii: ",")), s.readUInt() != nil, s.expect(UInt8(ascii: ",")),
              s.skipValue(), let end = s.lastBracket(), s.index <= end else { return false }
        var yield = allocator.buffer(capacity: 24 + end - s.index)
        yield.writeStaticString("[70,")
        yield.writeDecimal(request)
        yield.writeStaticString(",{}")
        yield.writeBytes(UnsafeRawBufferPointer(rebasing: raw[s.index..<end]))
        yield.writeStaticString("]")
        connection?.send(yield, kind: .text)
        return true
    }

    private func receiveEvent(_ s: inout JSONScanner) -> Bool {
        guard s.readUInt() != nil, s.expect(UInt8(ascii: ",")), s.readUInt() != nil, s.expect(UInt8(ascii: ",")),
              s.skipValue(), s.expect(UInt8(ascii: ",")), s.expect(UInt8(ascii: "[")),
              let seq = s.readUInt(), s.expect(UInt8(ascii: ",")), let sent = s.readUInt() else { return false }
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
        return true
    }

    private func receivePublished() -> Bool {
        outstanding -= 1
        pump()
        return true
    }

    // MARK: sending

    private var budgetLeft: Bool { config.callBudget.map { sentCalls < $0 } ?? true }

    private func sendCall() {
        sentCalls += 1
        var call = allocator.buffer(capacity: 64)
        call.writeStaticString("[48,")
        call.writeDecimal(nextRequest)
        nextRequest += 1
        call.writeStaticString(",{},\"")
        call.writeString(config.procedure)
        call.writeStaticString("\",[")
        call.writeDecimal(nowNanos())
        call.writeStaticString("]]")
        outstanding += 1
        connection?.send(call, kind: .text)
    }

    private func publish() {
        var message = allocator.buffer(capacity: 80 + padding.readableBytes)
        message.writeStaticString("[16,")
        message.writeDecimal(nextRequest)
        nextRequest += 1
        if config.acknowledge {
            message.writeStaticString(",{\"acknowledge\":true},\"")
            outstanding += 1
        } else {
            message.writeStaticString(",{},\"")
        }
        message.writeString(config.topic)
        message.writeStaticString("\",[")
        published += 1
        message.writeDecimal(published)
        message.writeStaticString(",")
        message.writeDecimal(nowNanos())
        message.writeImmutableBuffer(padding)
        message.writeStaticString("]]")
        if let shared { shared.sentEvents.add(shared.subscribers, ordering: .relaxed) }
        connection?.send(message, kind: .text)
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
                    for _ in 0..<min(max(due, 0), 10_000) { publish() }
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
        while stats.running && state == .ready {
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

    /// GOODBYE, then close the WebSocket when the router answers (or after `timeout`).
    func sayGoodbye(timeout: Double = 5) {
        guard let connection, state != .closing, state != .closed else { return }
        state = .closing
        rateTask?.cancel()
        let goodbye = MessageEncoder.encode(.goodbye(Goodbye(details: .emptyObject, reason: "wamp.close.normal")))
        connection.send(goodbye.bytes, kind: .text)
        loop.scheduleTask(in: .nanoseconds(Int64(timeout * 1e9))) { [self] in
            if state == .closing, let connection = self.connection {
                fail("no GOODBYE answer within \(timeout) s")
                connection.close(code: .normalClosure, reason: "")
            }
        }
    }

    /// Closes the connection without GOODBYE and without waiting: for pattern holders after a
    /// run, whose many patterns a router may take long to tear down.
    func abandon() {
        guard let connection, state != .closing, state != .closed else { return }
        state = .closing
        connection.close(code: .normalClosure, reason: "")
    }

    // MARK: rare messages

    private func receiveRare(_ bytes: ByteBuffer) {
        let message: WampMessage
        do {
            message = try MessageDecoder.decode(bytes)
        } catch {
            fail("undecodable message: \(error) \(String(buffer: bytes).prefix(200))")
            return
        }
        switch message {
        case .welcome(let welcome):
            guard state == .connecting else { return fail("unexpected WELCOME") }
            state = .established
            sessionID = welcome.session
            switch role {
            case .callee:
                if let registration = config.calleeRegistration {
                    send("[64,1,\(registration.options),\"\(registration.uri)\"]")
                } else {
                    send("[64,1,{},\"\(config.procedure)\"]")
                }
            case .patternHolder:
                sendPatterns()
            case .subscriber:
                send("[32,1,{},\"\(config.topic)\"]")
            case .session:
                stats.completed += 1
                stats.recordLatency(nowNanos() &- connectStart)
                becomeReady()
            default:
                becomeReady()
            }
        case .registered where role == .callee, .subscribed where role == .subscriber:
            becomeReady()
        case .registered where role == .patternHolder, .subscribed where role == .patternHolder:
            patternsAcknowledged += 1
            if patternsAcknowledged == patterns.count { becomeReady() }
        case .error(let error):
            if error.requestType == .call, role == .caller {
                outstanding -= 1
                completedCalls += 1
                if stats.running && state == .ready && budgetLeft { sendCall() }
            } else if error.requestType == .publish, role == .publisher {
                outstanding -= 1
            }
            fail("ERROR \(error.requestType.name) \(error.error)")
            if !readyDone { readyDone = true; ready.fail(BenchError("ERROR \(error.error)")) }
        case .abort(let abort):
            fail("ABORT \(abort.reason)")
            if !readyDone { readyDone = true; ready.fail(BenchError("ABORT \(abort.reason)")) }
            state = .closing
            connection?.close(code: .normalClosure, reason: "")
        case .goodbye(let goodbye):
            if state == .closing {
                connection?.close(code: .normalClosure, reason: "")
            } else {
                fail("router said GOODBYE \(goodbye.reason)")
                state = .closing
                send("[6,{},\"wamp.close.goodbye_and_out\"]")
                connection?.close(code: .normalClosure, reason: "")
            }
        default:
            fail("unexpected \(message.code.name) for a \(role)")
        }
    }

    /// All of the holder's wildcard SUBSCRIBEs or REGISTERs at once; ready when every one is answered.
    private func sendPatterns() {
        guard !patterns.isEmpty else { return becomeReady() }
        let code = patternsRegister ? 64 : 32
        for (index, pattern) in patterns.enumerated() {
            send("[\(code),\(index + 1),{\"match\":\"wildcard\"},\"\(pattern)\"]")
        }
    }

    private func becomeReady() {
        state = .ready
        if !readyDone { readyDone = true; ready.succeed(()) }
    }

    private func send(_ text: String) {
        connection?.send(ByteBuffer(string: text), kind: .text)
    }

    private func fail(_ what: String) {
        stats.errors += 1
        if WampPeer.errorPrintBudget.subtract(1, ordering: .relaxed).newValue >= 0 {
            print("wamp-bench: error: \(what)")
        }
    }
}
