import XCTest
import Realm
import WampMessages

final class IDGeneratorTests: XCTestCase {
    func testIDsStayInsideTheSpecRangeAndDoNotRepeatQuickly() {
        var generator = IDGenerator(seed: 42)
        var seen = Set<WampID>()
        for _ in 0..<100_000 {
            let id = generator.next()
            XCTAssertTrue(id >= 1 && id <= WampIDRange.max)
            seen.insert(id)
        }
        XCTAssertEqual(seen.count, 100_000)
    }

    func testSessionIDsAreUniqueAmongLiveSessions() {
        let registry = RealmRegistry(realmNames: ["realm1"])
        let ids = (0..<10_000).map { _ in registry.newSessionID() }
        XCTAssertEqual(Set(ids).count, ids.count)
        XCTAssertNotNil(registry.realm(named: "realm1"))
        XCTAssertNil(registry.realm(named: "realm2"))
    }
}
