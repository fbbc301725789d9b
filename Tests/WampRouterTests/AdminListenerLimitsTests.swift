import HTTPTestSupport
import Logging
import WampRouter
import XCTest

/// The admin listener's bounds (`--admin-max-connections`, `--admin-max-body-bytes`) as set on
/// its configuration, over loopback.
final class AdminListenerLimitsTests: XCTestCase {
    func testConnectionLimitAnswers503AndBodyLimitAnswers413() async throws {
        var configuration = RouterConfiguration()
        configuration.port = 0
        configuration.eventLoopThreads = 1
        configuration.shutdownGracePeriod = .milliseconds(200)
        var admin = AdminListenerConfiguration(port: 0)
        admin.maxConnections = 1
        admin.maxBodyBytes = 16
        configuration.admin = admin
        var logger = Logger(label: "admin-limits-test")
        logger.logLevel = .critical
        let router = try await WampRouter.start(configuration: configuration, logger: logger)
        let port = try XCTUnwrap(router.adminPort)

        let held = try await HTTPExchange.idleConnection(port: port)
        let refused = try await HTTPExchange.get("/health", port: port)
        XCTAssertTrue(refused.hasPrefix("HTTP/1.1 503 Service Unavailable\r\n"), refused)
        try await held.close()
        // The slot comes back once the held connection's close is seen.
        var health = ""
        let deadline = ContinuousClock.now + .seconds(10)
        repeat {
            health = try await HTTPExchange.get("/health", port: port)
        } while !health.hasPrefix("HTTP/1.1 200") && ContinuousClock.now < deadline
        XCTAssertTrue(health.hasPrefix("HTTP/1.1 200 OK\r\n"), health)

        let long = String(repeating: "x", count: 17)
        let tooLong = try await HTTPExchange.send("POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 17\r\n\r\n\(long)", port: port)
        XCTAssertTrue(tooLong.hasPrefix("HTTP/1.1 413 "), tooLong)
        let short = try await HTTPExchange.send("POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 16\r\n\r\n\(long.dropLast())", port: port)
        XCTAssertTrue(short.hasPrefix("HTTP/1.1 405 Method Not Allowed\r\n"), short)
        await router.shutdown()
    }
}
