import XCTest
import NIOSSL
@testable import WampTLS

final class TLSLinkTests: XCTestCase {
    func testNIOSSLLinks() throws {
        XCTAssertNoThrow(try NIOSSLContext(configuration: .makeClientConfiguration()))
    }
}
