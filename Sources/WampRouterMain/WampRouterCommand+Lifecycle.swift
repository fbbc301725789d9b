import Logging
import ServiceLifecycle
import WampRouter

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension WampRouterCommand {
    /// Runs the services under swift-service-lifecycle until SIGTERM or SIGINT, then shuts them
    /// down in reverse order and returns (exit 0). A service that fails to start (a port in
    /// use) ends the group with its error (exit 1).
    func serve(_ configuration: RouterConfiguration, logger: Logger) async throws {
        // Before any event loop exists: the hot path reads the switch unsynchronized.
        WampRouter.recordMetrics(configuration.metrics)
        let health = RouterHealth()
        let wamp = WampRouterService(configuration: configuration, logger: logger, health: health,
                                     reloadConfigFile: config)
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: Self.lifecycleServices(wamp: wamp, health: health, logger: logger),
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: Logger(label: "wamp-router.lifecycle")))
        // The group listens through dispatch signal sources, and only for the first signal.
        // With the default actions off, neither a signal before the sources are registered
        // nor a second one during the drain (sources gone) ends the process mid-way.
        signal(SIGTERM, SIG_IGN)
        signal(SIGINT, SIG_IGN)
        try await group.run()
    }

    /// The services in start order. The group starts them in this order and, on SIGTERM or
    /// SIGINT, asks them to stop in the reverse order, each only after the one after it has
    /// returned.
    ///
    /// The admin listener (`--admin-port`) is not a service of its own: `WampRouter.start` binds
    /// it before the WAMP listeners and `shutdown()` closes it after the sessions drained, with
    /// the same `health`, so `/health` says 503 "starting" and "draining" around the 200s.
    static func lifecycleServices(wamp: WampRouterService, health: RouterHealth, logger: Logger) -> [ServiceGroupConfiguration.ServiceConfiguration] {
        [.init(service: wamp)]
    }
}
