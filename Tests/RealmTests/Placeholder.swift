import XCTest
final class RealmTestsPlaceholder: XCTestCase { func testNothing() {} }
