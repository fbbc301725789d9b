import WampClient
import XCTest

final class ShutdownTests: RouterTestCase {
    func testShutdownSaysGoodbyeToEverySession() async throws {
        let a = try await client()
        let b = try await client(realm: "realm2")
        await router.shutdown()
        await a.waitUntilClosed()
        await b.waitUntilClosed()
        XCTAssertEqual(a.routerClosingReason, "wamp.close.system_shutdown")
        XCTAssertEqual(b.routerClosingReason, "wamp.close.system_shutdown")
        router = nil
    }
}
