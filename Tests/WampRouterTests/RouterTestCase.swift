import Logging
import NIOPosix
import WampClient
import WampMessages
import WampRouter
import XCTest

/// Starts a router on an ephemeral loopback port for each test and stops it afterwards.
class RouterTestCase: XCTestCase {
    var router: WampRouter!

    var port: Int { router.port }

    override func setUp() async throws {
        var configuration = RouterConfiguration()
        configuration.port = 0
        configuration.realms = ["realm1", "realm2"]
        configuration.eventLoopThreads = 2
        configuration.shutdownGracePeriod = .milliseconds(500)
        var logger = Logger(label: "test-router")
        logger.logLevel = .warning
        router = try await WampRouter.start(configuration: configuration, logger: logger)
    }

    override func tearDown() async throws {
        await router?.shutdown()
        router = nil
    }

    func client(realm: String = "realm1") async throws -> WampClient {
        try await WampClient.connect(port: port, realm: realm)
    }
}

func raw(_ text: String) -> RawJSON { RawJSON(text)! }
