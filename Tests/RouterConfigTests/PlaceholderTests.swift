import XCTest
@testable import RouterConfig
import Realm

final class PermissionModelTests: XCTestCase {
    func testPermissionDefaultsDiscloseNothing() {
        let permission = Permission(uri: "com.example.", match: .prefix, allow: [.call])
        XCTAssertFalse(permission.discloseCaller)
        XCTAssertFalse(permission.disclosePublisher)
    }
}
