import XCTest
@testable import WampAuth

final class AuthConfigurationTests: XCTestCase {
    func testAnonymousOnlyOffersOnlyAnonymous() {
        XCTAssertEqual(TransportAuthConfiguration.anonymousOnly.methods, [.anonymous])
    }

    func testDescriptionsRedactSecrets() {
        XCTAssertFalse("\(TicketPrincipal(ticket: "s3cret", role: "r"))".contains("s3cret"))
        XCTAssertFalse("\(WampcraUser(secret: "s3cret", role: "r"))".contains("s3cret"))
    }
}
