import XCTest
final class WebSocketIOTestsPlaceholder: XCTestCase { func testNothing() {} }
