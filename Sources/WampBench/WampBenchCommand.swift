import ArgumentParser
import NIOCore
import NIOPosix
import WampMessages

#if canImport(Glibc)
import Glibc
#endif

@main
struct WampBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wamp-bench",
        abstract: "Load generator for WAMP v2 routers (JSON, MessagePack or CBOR over WebSocket or RawSocket, loopback only).",
        subcommands: [RPCCommand.self, PubSubCommand.self, SessionsCommand.self, EchoCommand.self]
    )
}

struct CommonOptions: ParsableArguments {
    @Option(help: "Router URL (loopback only): ws://HOST:PORT/PATH for WebSocket, tcp://HOST:PORT for RawSocket.")
    var url = "ws://127.0.0.1:8080/"

    @Option(help: "websocket or rawsocket (RawSocket on TCP: the router's --rawsocket-port).")
    var transport = "websocket"

    @Option(help: "Serializer of every peer unless a role's own option says otherwise: json, msgpack or cbor.")
    var serializer = "json"

    @Option(help: "RawSocket LENGTH in the handshake: the peers accept messages up to 2^(9+LENGTH) octets (0...15).")
    var rawsocketLength = 15

    @Option(help: "Realm to join.")
    var realm = "realm1"

    @Option(help: "Seconds of load before measuring.")
    var warmup: Double = 1

    @Option(help: "Seconds measured.")
    var duration: Double = 5

    @Option(help: "Write the result as JSON to this file.")
    var json: String?

    @Option(help: "PID of the router, for its CPU use and RSS (from /proc); a comma list for a cluster (its nodes and NATS server: CPU is summed, RSS is the first's).")
    var routerPid: String?

    @Option(help: "Event loops of the generator (default: number of cores).")
    var threads: Int = System.coreCount

    @Option(help: "Seconds allowed to set up connections and sessions.")
    var setupTimeout: Double = 60

    @Option(help: "Label printed in the table title and stored in the JSON.")
    var label: String?

    func validate() throws {
        guard warmup >= 0, duration > 0, duration <= 3600, warmup <= 3600 else {
            throw ValidationError("--warmup must be 0...3600 and --duration 0<...3600")
        }
        guard threads >= 1, threads <= 64 else { throw ValidationError("--threads must be 1...64") }
        _ = try endpoint()
        _ = try defaultSerialization()
        _ = try routerPids()
    }

    func routerPids() throws -> [Int32] {
        guard let routerPid else { return [] }
        let pids = routerPid.split(separator: ",").map { Int32(String($0.filter { $0 != " " })) }
        guard !pids.isEmpty, pids.allSatisfy({ ($0 ?? 0) > 0 }) else {
            throw ValidationError("--router-pid takes a PID or a comma list of PIDs")
        }
        return pids.map { $0! }
    }

    /// The endpoints of a role that may connect elsewhere than `--url` (a cluster's other nodes):
    /// its own comma list of URLs, used round robin, or `--url`.
    func endpoints(_ option: String?, name: String) throws -> [BenchEndpoint] {
        guard let option else { return [try endpoint()] }
        let urls = option.split(separator: ",").map { String($0.filter { $0 != " " }) }
        guard !urls.isEmpty else { throw ValidationError("\(name) takes a comma list of URLs") }
        return try urls.map { try BenchEndpoint(url: $0, transport: transport, rawSocketLengthExponent: rawsocketLength) }
    }

    func endpoint() throws -> BenchEndpoint {
        try BenchEndpoint(url: url, transport: transport, rawSocketLengthExponent: rawsocketLength)
    }

    func defaultSerialization() throws -> WampSerialization {
        guard let serialization = WampSerialization(configName: serializer) else {
            throw ValidationError("--serializer must be json, msgpack or cbor")
        }
        return serialization
    }

    /// A role's serializers: its own option (a comma list, used round robin) or `--serializer`.
    func serializers(_ option: String?, name: String) throws -> [WampSerialization] {
        guard let option else { return [try defaultSerialization()] }
        return try parseSerializers(option, option: name)
    }

    /// Every phase is bounded; past this the process exits whatever it is doing.
    func armDeadline(extra: Double = 0) {
        armHardDeadline(seconds: setupTimeout + warmup + duration + 30 + extra)
    }

    func finish(_ report: inout Report, mode: String, title: String) throws -> Never {
        report.rows.insert(("mode", .string(mode)), at: 0)
        report.rows.insert(("label", .string(label ?? title)), at: 1)
        report.printTable(title: label.map { "\($0): \(title)" } ?? title)
        if let json { try report.writeJSON(to: json) }
        fflush(nil)
        // Exit directly: the loops have been shut down and nothing else needs to run.
        Glibc.exit(report.failures > 0 ? 1 : 0)
    }
}

/// Opens `peers` (at most `parallel` handshakes at a time) and waits until each is ready.
func open(_ peers: [WampPeer], endpoint: BenchEndpoint, parallel: Int, timeout: Double) async throws {
    try await open(peers, endpoints: [endpoint], parallel: parallel, timeout: timeout)
}

/// The same, peer `i` connecting to `endpoints[i % endpoints.count]` (peers spread over nodes).
func open(_ peers: [WampPeer], endpoints: [BenchEndpoint], parallel: Int, timeout: Double) async throws {
    let deadline = nowNanos() + UInt64(timeout * 1e9)
    try await withThrowingTaskGroup(of: Void.self) { group in
        var running = 0
        for (index, peer) in peers.enumerated() {
            let endpoint = endpoints[index % endpoints.count]
            if running >= parallel {
                try await group.next()
                running -= 1
            }
            group.addTask {
                peer.connectStart = nowNanos()
                try await endpoint.connect(peer)
                let left = Double(Int64(deadline) - Int64(nowNanos())) / 1e9
                guard left > 0, await wait(peer.ready.futureResult, seconds: left) != nil else {
                    throw BenchError("session not ready within \(timeout) s")
                }
            }
            running += 1
        }
        try await group.waitForAll()
    }
}

import WebSocketIO

extension WebSocketClient {
    static func connectBench(url: WebSocketURL, subprotocols: [String], peer: any WebSocketMessageHandler & Sendable,
                             loop: any EventLoop) async throws -> WebSocketConnection {
        try await WebSocketClient.connect(host: url.host, port: url.port, path: url.path, subprotocols: subprotocols,
                                          group: loop, handler: peer)
    }

    static func connectBench(url: BenchEndpoint, subprotocols: [String], peer: WampPeer) async throws -> WebSocketConnection {
        try await WebSocketClient.connect(host: url.host, port: url.port, path: url.path, subprotocols: subprotocols,
                                          group: peer.loop, handler: peer)
    }
}

/// ` (rawsocket, msgpack)` for the title of a run that is not all WebSocket + JSON.
func describe(_ endpoint: BenchEndpoint, _ serializations: [WampSerialization]) -> String {
    var names: [String] = []
    for serialization in serializations where !names.contains(serialization.configName) { names.append(serialization.configName) }
    if endpoint.transport == .websocket && names == ["json"] { return "" }
    return " (\(endpoint.transport.rawValue), \(names.joined(separator: "+")))"
}

/// Says GOODBYE on every peer and waits (bounded) for the connections to close.
func closeAll(_ peers: [WampPeer], timeout: Double) async {
    for peer in peers { peer.loop.execute { peer.sayGoodbye(timeout: timeout) } }
    let deadline = nowNanos() + UInt64((timeout + 1) * 1e9)
    for peer in peers {
        let left = Double(Int64(deadline) - Int64(nowNanos())) / 1e9
        if left <= 0 { break }
        _ = await wait(peer.closed.futureResult, seconds: left)
    }
}

/// Sums `body` over peers, each read on its own loop.
func sum(_ peers: [WampPeer], _ body: @escaping @Sendable (WampPeer) -> Int) async -> Int {
    var total = 0
    for peer in peers {
        total += (try? await peer.loop.submit { body(peer) }.get()) ?? 0
    }
    return total
}

// MARK: - rpc

struct RPCCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rpc", abstract: "Callers keep W calls to an echo callee outstanding.")

    @OptionGroup var common: CommonOptions
    @Option(help: "Caller sessions.") var callers = 1
    @Option(help: "Calls each caller keeps outstanding.") var window = 1
    @Option(help: "Seconds to wait for outstanding calls after the run.") var drain: Double = 5
    @Option(help: "Fixed work: make exactly this many calls in total (no warmup; --duration is then the time limit).")
    var calls: Int?
    @Option(help: "How the callee registers: exact (the procedure) or wildcard (`bench.` for bench.echo, so every CALL goes through pattern matching).")
    var calleeMatch = "exact"
    @Option(help: "Serializers of the callers, round robin (e.g. json,msgpack,cbor; default --serializer).")
    var callerSerializers: String?
    @Option(help: "Serializer of the callee (default --serializer).")
    var calleeSerializer: String?
    @Option(help: "URL the callee connects to (another cluster node; default --url).")
    var calleeUrl: String?
    @Option(help: "URLs the callers connect to, round robin (cluster nodes; default --url).")
    var callerUrls: String?
    @OptionGroup var patternOptions: PatternOptions

    func validate() throws {
        guard ["exact", "wildcard"].contains(calleeMatch) else { throw ValidationError("--callee-match must be exact or wildcard") }
        guard try common.endpoints(calleeUrl, name: "--callee-url").count == 1 else { throw ValidationError("--callee-url takes one URL") }
        _ = try common.endpoints(callerUrls, name: "--caller-urls")
        _ = try common.serializers(callerSerializers, name: "--caller-serializers")
        guard try common.serializers(calleeSerializer, name: "--callee-serializer").count == 1 else {
            throw ValidationError("--callee-serializer takes one serializer")
        }
    }

    func run() async throws {
        common.armDeadline(extra: drain + (patternOptions.patterns > 0 ? common.setupTimeout : 0))
        let endpoint = try common.endpoint()
        let callerSerializations = try common.serializers(callerSerializers, name: "--caller-serializers")
        let calleeSerialization = try common.serializers(calleeSerializer, name: "--callee-serializer")[0]
        let loops = LoopSet(threads: common.threads)
        var config = PeerConfig(realm: common.realm)
        config.serialization = try common.defaultSerialization()
        config.window = window
        if let calls { config.callBudget = (calls + self.callers - 1) / self.callers }
        if calleeMatch == "wildcard" {
            let first = config.procedure.split(separator: ".").first.map(String.init) ?? config.procedure
            config.calleeRegistration = (match: "wildcard", uri: first + ".")
        }
        let patternLoad = patternOptions.load(register: true)
        let (holders, patternSeconds) = try await patternLoad.open(loops: loops, config: config, target: config.procedure,
                                                                  endpoint: endpoint, timeout: common.setupTimeout)
        let callee = WampPeer(role: .callee, stats: loops.slot(0), config: config.speaking(calleeSerialization))
        try await open([callee], endpoints: try common.endpoints(calleeUrl, name: "--callee-url"), parallel: 1, timeout: common.setupTimeout)
        let callers = (0..<callers).map {
            WampPeer(role: .caller, stats: loops.slot($0 + 1), config: config.speaking(callerSerializations[$0 % callerSerializations.count]))
        }
        try await open(callers, endpoints: try common.endpoints(callerUrls, name: "--caller-urls"), parallel: 64, timeout: common.setupTimeout)

        try await loops.setRunning(true)
        let cpu: CPUWindow
        if let calls {
            let target = config.callBudget! * self.callers
            cpu = CPUWindow(routerPids: try common.routerPids())
            try await loops.startMeasuring()
            for caller in callers { caller.loop.execute { caller.start() } }
            let end = nowNanos() + UInt64(common.duration * 1e9)
            while await sum(callers, { $0.completedCalls }) < target && nowNanos() < end {
                await sleep(seconds: 0.005)
            }
            _ = calls
        } else {
            for caller in callers { caller.loop.execute { caller.start() } }
            await sleep(seconds: common.warmup)
            cpu = CPUWindow(routerPids: try common.routerPids())
            try await loops.startMeasuring()
            await sleep(seconds: common.duration)
        }
        let snap = try await loops.stopMeasuring()
        let usage = cpu.finish()
        try await loops.setRunning(false)

        let drainEnd = nowNanos() + UInt64(drain * 1e9)
        var outstanding = await sum(callers) { $0.outstanding }
        while outstanding > 0 && nowNanos() < drainEnd {
            await sleep(seconds: 0.02)
            outstanding = await sum(callers) { $0.outstanding }
        }
        await closeAll(callers + [callee], timeout: 5)
        for holder in holders { holder.loop.execute { holder.abandon() } }
        let errors = try await loops.totalErrors()
        await loops.shutdown()

        var report = Report()
        report.add("callers", self.callers)
        report.add("window", window)
        report.add("callee_match", calleeMatch)
        report.add("transport", endpoint.transport.rawValue)
        report.add("caller_serializers", callerSerializations.map(\.configName).joined(separator: ","))
        report.add("callee_serializer", calleeSerialization.configName)
        patternLoad.describe(into: &report, seconds: patternSeconds)
        report.add("duration_s", usage.seconds)
        report.add("calls", snap.completed)
        report.add("calls_per_s", Double(snap.completed) / usage.seconds)
        report.addLatency("latency", snap.histogram)
        report.add("errors", errors)
        report.add("timeouts", outstanding)
        report.addCPU(usage, work: snap.completed, generatorThreads: common.threads)
        try common.finish(&report, mode: "rpc", title: "rpc \(self.callers)x\(window)" + describe(endpoint, callerSerializations + [calleeSerialization]))
    }
}

// MARK: - pubsub

struct PubSubCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pubsub", abstract: "One publisher, S subscribers of one topic.")

    @OptionGroup var common: CommonOptions
    @Option(help: "Subscriber sessions.") var subscribers = 1
    @Option(help: "Publications per second (default: as fast as the in-flight cap allows).") var rate: Double?
    @Flag(help: "Publish with acknowledge=true, keeping --window PUBLISHED outstanding.") var ack = false
    @Option(help: "Unacknowledged publications outstanding with --ack.") var window = 16
    @Option(help: "At max rate: publications whose events may be undelivered at once.") var maxInFlight = 64
    @Option(help: "Extra payload bytes per event (a string argument).") var payloadBytes = 0
    @Option(help: "Seconds to wait for undelivered events after the run.") var drain: Double = 5
    @Option(help: "Fixed work: publish exactly this many publications (no warmup; --duration is then the time limit).")
    var publications: Int?
    @Option(help: "Serializer of the publisher (default --serializer).") var publisherSerializer: String?
    @Option(help: "Serializers of the subscribers, round robin (e.g. json,msgpack,cbor; default --serializer).")
    var subscriberSerializers: String?
    @Option(help: "URLs the subscribers connect to, round robin (cluster nodes; default --url).")
    var subscriberUrls: String?
    @OptionGroup var patternOptions: PatternOptions

    func validate() throws {
        guard subscribers >= 1, window >= 1, maxInFlight >= 1, payloadBytes >= 0 else { throw ValidationError("sizes must be positive") }
        _ = try common.endpoints(subscriberUrls, name: "--subscriber-urls")
        _ = try common.serializers(subscriberSerializers, name: "--subscriber-serializers")
        guard try common.serializers(publisherSerializer, name: "--publisher-serializer").count == 1 else {
            throw ValidationError("--publisher-serializer takes one serializer")
        }
        if let rate, rate <= 0 || rate > 10_000_000 { throw ValidationError("--rate must be > 0") }
        if let publications, publications < 0 { throw ValidationError("--publications must be >= 0") }
    }

    func run() async throws {
        common.armDeadline(extra: drain + (patternOptions.patterns > 0 ? common.setupTimeout : 0))
        let endpoint = try common.endpoint()
        let subscriberSerializations = try common.serializers(subscriberSerializers, name: "--subscriber-serializers")
        let publisherSerialization = try common.serializers(publisherSerializer, name: "--publisher-serializer")[0]
        let loops = LoopSet(threads: common.threads)
        var config = PeerConfig(realm: common.realm)
        config.serialization = try common.defaultSerialization()
        let patternLoad = patternOptions.load(register: false)
        let (holders, patternSeconds) = try await patternLoad.open(loops: loops, config: config, target: config.topic,
                                                                  endpoint: endpoint, timeout: common.setupTimeout)
        config.window = window
        config.acknowledge = ack
        config.rate = rate
        config.payloadBytes = payloadBytes
        config.publicationBudget = publications
        let shared = PubSubShared(subscribers: subscribers, capEvents: rate == nil ? maxInFlight * subscribers : nil)
        let subs = (0..<subscribers).map {
            WampPeer(role: .subscriber, stats: loops.slot($0 + 1),
                     config: config.speaking(subscriberSerializations[$0 % subscriberSerializations.count]), shared: shared)
        }
        try await open(subs, endpoints: try common.endpoints(subscriberUrls, name: "--subscriber-urls"), parallel: 64,
                       timeout: common.setupTimeout)
        let publisher = WampPeer(role: .publisher, stats: loops.slot(0), config: config.speaking(publisherSerialization), shared: shared)
        shared.publisher = publisher
        try await open([publisher], endpoint: endpoint, parallel: 1, timeout: common.setupTimeout)

        try await loops.setRunning(true)
        let cpu: CPUWindow
        if let publications {
            cpu = CPUWindow(routerPids: try common.routerPids())
            try await loops.startMeasuring()
            publisher.loop.execute { publisher.start() }
            let end = nowNanos() + UInt64(common.duration * 1e9)
            while shared.delivered.load(ordering: .relaxed) < publications * subscribers && nowNanos() < end {
                await sleep(seconds: 0.005)
            }
        } else {
            publisher.loop.execute { publisher.start() }
            await sleep(seconds: common.warmup)
            cpu = CPUWindow(routerPids: try common.routerPids())
            try await loops.startMeasuring()
            await sleep(seconds: common.duration)
        }
        let snap = try await loops.stopMeasuring()
        let usage = cpu.finish()
        try await loops.setRunning(false)

        // Let the publisher's loop finish its tick, then wait for every event to arrive.
        let published = try await publisher.loop.submit { Int(publisher.published) }.get()
        let expected = published * subscribers
        let drainEnd = nowNanos() + UInt64(drain * 1e9)
        while shared.delivered.load(ordering: .relaxed) < expected && nowNanos() < drainEnd {
            await sleep(seconds: 0.02)
        }
        // Acknowledgements still due after the drain count as timeouts.
        let ackTimeouts = ack ? (try await publisher.loop.submit { publisher.outstanding }.get()) : 0
        let received = await sum(subs) { $0.receivedUnique }
        let gaps = await sum(subs) { $0.gaps }
        let duplicates = await sum(subs) { $0.duplicates }
        await closeAll(subs + [publisher], timeout: 5)
        for holder in holders { holder.loop.execute { holder.abandon() } }
        let errors = try await loops.totalErrors()
        await loops.shutdown()

        var report = Report()
        report.add("subscribers", subscribers)
        report.add("rate", rate.map { format3($0) } ?? "max")
        report.add("acknowledge", ack ? "window \(window)" : "no")
        report.add("payload_bytes", payloadBytes)
        report.add("transport", endpoint.transport.rawValue)
        report.add("publisher_serializer", publisherSerialization.configName)
        report.add("subscriber_serializers", subscriberSerializations.map(\.configName).joined(separator: ","))
        patternLoad.describe(into: &report, seconds: patternSeconds)
        report.add("duration_s", usage.seconds)
        report.add("published_total", published)
        report.add("delivered", snap.completed)
        report.add("delivered_per_s", Double(snap.completed) / usage.seconds)
        report.add("publications_per_s", Double(snap.completed) / usage.seconds / Double(subscribers))
        report.addLatency("latency", snap.histogram)
        report.add("errors", errors)
        report.add("timeouts", ackTimeouts)
        report.add("lost", max(0, expected - received))
        report.add("gaps", gaps)
        report.add("duplicates", duplicates)
        report.addCPU(usage, work: snap.completed, generatorThreads: common.threads)
        let title = "pubsub \(subscribers) subscribers, " + (rate.map { "\(format3($0))/s" } ?? "max rate") + (ack ? ", ack window \(window)" : "")
            + describe(endpoint, subscriberSerializations + [publisherSerialization])
        try common.finish(&report, mode: "pubsub", title: title)
    }
}

// MARK: - sessions

struct SessionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sessions", abstract: "Open N sessions, hold them, close them with GOODBYE.")

    @OptionGroup var common: CommonOptions
    @Option(help: "Sessions to open and hold.") var sessions = 1000
    @Option(help: "Handshakes in progress at once.") var parallel = 128
    @Option(help: "Seconds to hold the sessions before measuring the router's RSS.") var hold: Double = 1

    func run() async throws {
        common.armDeadline(extra: hold + 30)
        let limit = ProcStats.raiseFileLimit()
        if limit < sessions + 64 {
            print("wamp-bench: warning: open-file limit \(limit) is below \(sessions) sessions; raise it with ulimit -n")
        }
        let endpoint = try common.endpoint()
        let loops = LoopSet(threads: common.threads)
        var config = PeerConfig(realm: common.realm)
        config.serialization = try common.defaultSerialization()
        let peers = (0..<sessions).map { WampPeer(role: .session, stats: loops.slot($0), config: config) }
        let rssBefore = try common.routerPids().first.flatMap { ProcStats.rssBytes(pid: $0) }
        let cpu = CPUWindow(routerPids: try common.routerPids())
        try await loops.startMeasuring()
        var setupError: String?
        do {
            try await open(peers, endpoint: endpoint, parallel: parallel, timeout: common.setupTimeout)
        } catch {
            setupError = "\(error)"
        }
        let usage = cpu.finish()
        let snap = try await loops.stopMeasuring()
        await sleep(seconds: hold)
        let rssAfter = try common.routerPids().first.flatMap { ProcStats.rssBytes(pid: $0) }
        let closeStart = nowNanos()
        await closeAll(peers, timeout: 10)
        let closeSeconds = Double(nowNanos() - closeStart) / 1e9
        let errors = try await loops.totalErrors()
        await loops.shutdown()

        var report = Report()
        report.add("sessions", sessions)
        report.add("transport", endpoint.transport.rawValue)
        report.add("serializer", config.serialization.configName)
        report.add("established", snap.completed)
        report.add("establish_seconds", usage.seconds)
        report.add("sessions_per_s", Double(snap.completed) / usage.seconds)
        report.addLatency("establish", snap.histogram)
        if let rssBefore, let rssAfter {
            report.add("router_rss_before_kb", rssBefore / 1024)
            report.add("router_rss_after_kb", rssAfter / 1024)
            report.add("router_rss_per_session_bytes", Double(rssAfter - rssBefore) / Double(max(1, snap.completed)))
        } else {
            report.add("router_rss_per_session_bytes", nil as Double?)
        }
        report.add("goodbye_close_seconds", closeSeconds)
        report.add("errors", errors + (setupError == nil ? 0 : 1) + (sessions - snap.completed))
        if let setupError { report.add("setup_error", setupError) }
        report.addCPU(usage, work: snap.completed, generatorThreads: common.threads)
        try common.finish(&report, mode: "sessions", title: "sessions \(sessions)")
    }
}

// MARK: - echo

struct EchoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "echo", abstract: "Round trips against a plain WebSocket echo endpoint.")

    @OptionGroup var common: CommonOptions
    @Option(help: "Connections.") var connections = 1
    @Option(help: "Messages each connection keeps outstanding.") var window = 1
    @Option(help: "Message size in bytes (kept under 64 so no permessage-deflate applies).") var messageBytes = 40
    @Option(help: "Seconds to wait for outstanding messages after the run.") var drain: Double = 5

    func run() async throws {
        common.armDeadline(extra: drain)
        let url = try WebSocketURL(common.url)
        let loops = LoopSet(threads: common.threads)
        let peers = (0..<connections).map { EchoPeer(stats: loops.slot($0), window: window, messageBytes: messageBytes) }
        let deadline = nowNanos() + UInt64(common.setupTimeout * 1e9)
        for peer in peers {
            _ = try await WebSocketClient.connectBench(url: url, subprotocols: [], peer: peer, loop: peer.stats.loop)
            let left = Double(Int64(deadline) - Int64(nowNanos())) / 1e9
            guard left > 0, await wait(peer.ready.futureResult, seconds: left) != nil else { throw BenchError("echo connection not open") }
        }
        try await loops.setRunning(true)
        for peer in peers { peer.stats.loop.execute { peer.start() } }
        await sleep(seconds: common.warmup)
        let cpu = CPUWindow(routerPids: try common.routerPids())
        try await loops.startMeasuring()
        await sleep(seconds: common.duration)
        let snap = try await loops.stopMeasuring()
        let usage = cpu.finish()
        try await loops.setRunning(false)
        let drainEnd = nowNanos() + UInt64(drain * 1e9)
        func outstanding() async -> Int {
            var n = 0
            for p in peers { n += (try? await p.stats.loop.submit { p.outstanding }.get()) ?? 0 }
            return n
        }
        var left = await outstanding()
        while left > 0 && nowNanos() < drainEnd {
            await sleep(seconds: 0.02)
            left = await outstanding()
        }
        for p in peers { p.stats.loop.execute { p.close() } }
        for p in peers { _ = await wait(p.closed.futureResult, seconds: 5) }
        let errors = try await loops.totalErrors()
        await loops.shutdown()

        var report = Report()
        report.add("connections", connections)
        report.add("window", window)
        report.add("message_bytes", messageBytes)
        report.add("duration_s", usage.seconds)
        report.add("round_trips", snap.completed)
        report.add("round_trips_per_s", Double(snap.completed) / usage.seconds)
        report.addLatency("latency", snap.histogram)
        report.add("errors", errors)
        report.add("timeouts", left)
        report.addCPU(usage, work: snap.completed, generatorThreads: common.threads)
        try common.finish(&report, mode: "echo", title: "echo \(connections)x\(window)")
    }
}
