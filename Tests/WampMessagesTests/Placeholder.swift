import XCTest
final class WampMessagesTestsPlaceholder: XCTestCase { func testNothing() {} }
