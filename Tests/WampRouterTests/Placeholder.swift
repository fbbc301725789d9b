import XCTest
final class WampRouterTestsPlaceholder: XCTestCase { func testNothing() {} }
