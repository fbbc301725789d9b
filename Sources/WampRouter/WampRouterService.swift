import Logging
import ServiceLifecycle
import UnixSignals

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The WAMP listeners as one swift-service-lifecycle service. `run()` binds them, serves until
/// the group asks for graceful shutdown (SIGTERM, SIGINT), then drains: health turns
/// `draining`, listeners stop accepting, every session gets GOODBYE `wamp.close.system_shutdown`
/// and the connections get `RouterConfiguration.shutdownGracePeriod` to flush and close.
///
/// In a group it comes after the admin listener, so the admin listener is up (saying
/// "starting") before the first WAMP port binds and still up (saying "draining") until this
/// service has finished; the group stops services in reverse order, each after the previous
/// one returned.
public struct WampRouterService: Service, CustomStringConvertible {
    public let configuration: RouterConfiguration
    public let health: RouterHealth
    let logger: Logger
    /// Re-read on SIGHUP (roles, permissions, principals); nil: SIGHUP keeps its default action.
    let reloadConfigFile: String?
    /// Called once the listeners are bound, before serving: for whoever needs the running
    /// router (the admin listener's status page, tests).
    let onStart: @Sendable (WampRouter) -> Void

    public init(configuration: RouterConfiguration, logger: Logger, health: RouterHealth = RouterHealth(),
                reloadConfigFile: String? = nil, onStart: @escaping @Sendable (WampRouter) -> Void = { _ in }) {
        self.configuration = configuration
        self.logger = logger
        self.health = health
        self.reloadConfigFile = reloadConfigFile
        self.onStart = onStart
    }

    public var description: String { "WampRouterService" }

    public func run() async throws {
        let router = try await WampRouter.start(configuration: configuration, logger: logger, health: health)
        onStart(router)
        await withTaskGroup(of: Void.self) { group in
            if let reloadConfigFile {
                let logger = logger
                // SIGHUP's default action ends the process: off, the dispatch source alone
                // handles it.
                signal(SIGHUP, SIG_IGN)
                group.addTask {
                    // Ends when cancelled below, once graceful shutdown began.
                    for await _ in await UnixSignalsSequence(trapping: .sighup) {
                        router.reload(configFile: reloadConfigFile, logger: logger)
                    }
                }
            }
            // Returns on graceful shutdown, throws on cancellation: either way we drain.
            try? await gracefulShutdown()
            group.cancelAll()
        }
        let grace = Double(configuration.shutdownGracePeriod.nanoseconds) / 1e9
        logger.notice("shutdown began", metadata: ["graceSeconds": "\(grace)"])
        // A task of its own: when the group was cancelled (a service failed, or the group's
        // cancellation signal), the drain's sleeps would return at once in this cancelled task
        // and its bounded wait would become a busy loop.
        await Task { await router.shutdown() }.value
        logger.notice("shutdown finished")
    }
}
