import XCTest
import WampMessages

final class URIValidatorTests: XCTestCase {
    func testLooseRules() {
        let loose = URIValidator(rules: .loose)
        for valid in ["com.example.add2", "a", "com.Example.ADD-2", "ünï.cødé", "a.b$c"] {
            XCTAssertTrue(loose.isValid(valid), valid)
        }
        for invalid in ["", ".a", "a.", "a..b", "a b", "a.#", "a\tb", "com.example.\n"] {
            XCTAssertFalse(loose.isValid(invalid), invalid)
        }
    }

    func testStrictRules() {
        let strict = URIValidator(rules: .strict)
        XCTAssertTrue(strict.isValid("com.example.add_2"))
        XCTAssertFalse(strict.isValid("com.Example.add2"))
        XCTAssertFalse(strict.isValid("com.example.add-2"))
    }

    func testWildcardPatternsAllowEmptyComponents() {
        let loose = URIValidator()
        XCTAssertTrue(loose.isValidWildcard("com..add"))
        XCTAssertTrue(loose.isValidWildcard(".a."))
        XCTAssertFalse(loose.isValidWildcard("com. .add"))
    }
}
