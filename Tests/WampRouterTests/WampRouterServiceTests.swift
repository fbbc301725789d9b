import Logging
import ServiceLifecycle
import Synchronization
import WampClient
import WampRouter
import XCTest

/// The router under swift-service-lifecycle: the group's graceful shutdown drains it (health
/// `draining`, GOODBYE `wamp.close.system_shutdown`), and a service listed before it stops
/// only after the router has finished.
final class WampRouterServiceTests: XCTestCase {
    private var configuration: RouterConfiguration {
        var configuration = RouterConfiguration()
        configuration.port = 0
        configuration.realms = ["realm1"]
        configuration.eventLoopThreads = 1
        configuration.shutdownGracePeriod = .milliseconds(500)
        return configuration
    }

    private var logger: Logger {
        var logger = Logger(label: "test-router")
        logger.logLevel = .warning
        return logger
    }

    func testGracefulShutdownOfTheGroupSaysGoodbyeAndDrains() async throws {
        let health = RouterHealth()
        let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
        let service = WampRouterService(configuration: configuration, logger: logger, health: health) { router in
            portSink.yield(router.port)
        }
        XCTAssertEqual(health.phase, .starting)
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(services: [service], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            let next = await iterator.next()
            let port = try XCTUnwrap(next)
            XCTAssertEqual(health.phase, .serving)
            let client = try await WampClient.connect(port: port, realm: "realm1")
            await group.triggerGracefulShutdown()
            await client.waitUntilClosed()
            XCTAssertEqual(client.routerClosingReason, "wamp.close.system_shutdown")
            try await tasks.waitForAll()
        }
        XCTAssertEqual(health.phase, .draining)
    }

    func testAServiceBeforeTheRouterStopsAfterIt() async throws {
        let health = RouterHealth()
        let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
        let router = WampRouterService(configuration: configuration, logger: logger, health: health) { router in
            portSink.yield(router.port)
        }
        let probe = ShutdownProbe(health: health)
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(services: [probe, router], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            let next = await iterator.next()
            let port = try XCTUnwrap(next)
            probe.port.withLock { $0 = port }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        let seen = probe.seenAtShutdown.withLock { $0 }
        XCTAssertEqual(seen?.phase, .draining)
        XCTAssertEqual(seen?.routerStillAccepts, false, "the router's port must be closed before the earlier service is asked to stop")
    }
}

/// Stands in for the admin listener: on graceful shutdown it notes the health phase and
/// whether the router still accepts connections.
private final class ShutdownProbe: Service, Sendable {
    let health: RouterHealth
    let port = Mutex<Int?>(nil)
    let seenAtShutdown = Mutex<(phase: RouterHealth.Phase, routerStillAccepts: Bool)?>(nil)

    init(health: RouterHealth) { self.health = health }

    func run() async throws {
        try? await gracefulShutdown()
        var accepts = false
        if let port = port.withLock({ $0 }) {
            accepts = (try? await WampClient.connect(port: port, realm: "realm1")) != nil
        }
        let phase = health.phase
        seenAtShutdown.withLock { $0 = (phase, accepts) }
    }
}
