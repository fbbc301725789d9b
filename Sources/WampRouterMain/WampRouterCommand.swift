import ArgumentParser
import Dispatch
import Logging
import WampMessages
import WampRouter

#if canImport(Glibc)
import Glibc
#endif

/// `wamp-router`: starts the router with the embedded defaults or the given flags, and stops it
/// cleanly on SIGINT or SIGTERM (every session gets GOODBYE `wamp.close.system_shutdown`).
@main
struct WampRouterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wamp-router",
        abstract: "A WAMP v2 router (WebSocket, wamp.2.json)."
    )

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port of the WAMP WebSocket endpoint.")
    var port = 8080

    @Option(name: .customLong("realm"), help: "A realm to serve (repeatable; default realm1).")
    var realms: [String] = []

    @Option(help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "info"

    @Option(help: "Serve a WebSocket echo endpoint for the Autobahn TestSuite on this port.")
    var testeePort: Int?

    @Option(name: .customLong("event-history"),
            help: "PREFIX=N: topics starting with PREFIX keep their last N events (repeatable).")
    var eventHistory: [String] = []

    @Flag(help: "Apply the spec's strict URI rules instead of the loose ones.")
    var strictUris = false

    @Option(help: "Largest WebSocket message accepted, in bytes.")
    var maxMessageSize = 16 << 20

    @Option(help: "Unsent bytes a session may have queued before it is closed.")
    var maxBacklogBytes = 16 << 20

    @Option(help: "Most bytes of Details/Options (dicts and lists outside the payload) in one message.")
    var maxOptionsBytes = 1 << 20

    @Flag(inversion: .prefixedNo, help: "Offer permessage-deflate compression on the WAMP endpoint.")
    var compression = true

    func validate() throws {
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("unknown log level '\(logLevel)'")
        }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0...65535") }
        if let testeePort, !(0...65535).contains(testeePort) { throw ValidationError("--testee-port must be 0...65535") }
        guard maxOptionsBytes > 0 else { throw ValidationError("--max-options-bytes must be greater than 0") }
        _ = try parsedEventHistory()
    }

    /// `--event-history PREFIX=N` values; the prefix may be empty (every topic).
    func parsedEventHistory() throws -> [(prefix: String, limit: Int)] {
        try eventHistory.map { entry in
            guard let separator = entry.lastIndex(of: "="), let limit = Int(entry[entry.index(after: separator)...]), limit > 0 else {
                throw ValidationError("--event-history expects PREFIX=N with N > 0, got '\(entry)'")
            }
            return (String(entry[..<separator]), limit)
        }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel)!
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "wamp-router")

        var configuration = RouterConfiguration()
        configuration.host = host
        configuration.port = port
        configuration.realms = realms.isEmpty ? ["realm1"] : realms
        configuration.testeePort = testeePort
        configuration.uriRules = strictUris ? .strict : .loose
        configuration.eventHistory = try parsedEventHistory()
        configuration.maxMessageSize = maxMessageSize
        configuration.maxBacklogBytes = maxBacklogBytes
        configuration.maxOptionsBytes = maxOptionsBytes
        configuration.permessageDeflate = compression

        let router = try await WampRouter.start(configuration: configuration, logger: logger)
        let signal = await ShutdownSignal.wait()
        logger.notice("received \(signal), shutting down")
        await router.shutdown()
        logger.notice("stopped")
    }
}

/// Waits for SIGINT or SIGTERM. Dispatch signal sources rather than swift-service-lifecycle:
/// the router has a single service, and this keeps a dependency (and its build time) out.
enum ShutdownSignal {
    static func wait() async -> String {
        await withCheckedContinuation { continuation in
            let queue = DispatchQueue(label: "wamp-router.signals")
            let once = OnceFlag()
            var sources: [DispatchSourceSignal] = []
            for (number, name) in [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM")] {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
                source.setEventHandler {
                    if once.claim() {
                        continuation.resume(returning: name)
                    }
                }
                source.resume()
                sources.append(source)
            }
            SignalSources.keep(sources)
        }
    }
}

/// Keeps the signal sources alive for the life of the process.
private enum SignalSources {
    nonisolated(unsafe) private static var retained: [DispatchSourceSignal] = []
    static func keep(_ sources: [DispatchSourceSignal]) { retained = sources }
}

private final class OnceFlag: @unchecked Sendable {
    private var claimed = false
    /// Only called on the one serial signal queue.
    func claim() -> Bool {
        if claimed { return false }
        claimed = true
        return true
    }
}
