import XCTest
@testable import Realm

final class MatchPolicyTests: XCTestCase {
    func testPrefixIsAStringPrefix() {
        let prefix = MatchPolicy.prefix
        for uri in ["com.myapp.myobject1.myprocedure1", "com.myapp.myobject1-mysubobject1", "com.myapp.myobject1"] {
            XCTAssertTrue(prefix.matches(pattern: "com.myapp.myobject1", uri: uri), uri)
        }
        for uri in ["com.myapp.myobject2", "com.myapp.myobject"] {
            XCTAssertFalse(prefix.matches(pattern: "com.myapp.myobject1", uri: uri), uri)
        }
    }

    func testWildcardMatchesWholeComponents() {
        let wildcard = MatchPolicy.wildcard
        XCTAssertTrue(wildcard.matches(pattern: "com.myapp..myprocedure1", uri: "com.myapp.myobject1.myprocedure1"))
        XCTAssertTrue(wildcard.matches(pattern: "com.myapp..myprocedure1", uri: "com.myapp.myobject2.myprocedure1"))
        for uri in ["com.myapp.myobject1.myprocedure1.mysubprocedure1", "com.myapp.myobject1.myprocedure2", "com.myapp2.myobject1.myprocedure1"] {
            XCTAssertFalse(wildcard.matches(pattern: "com.myapp..myprocedure1", uri: uri), uri)
        }
    }

    func testUnknownMatchOptionIsRejected() {
        XCTAssertNil(MatchPolicy(option: "regex"))
        XCTAssertEqual(MatchPolicy(option: nil), .exact)
    }

    func testPrecedenceFollowsTheSpecExamples() {
        XCTAssertTrue(PatternPrecedence.prefix("a1.b2.c3", isBetterThan: "a1.b2"))
        XCTAssertTrue(PatternPrecedence.wildcard("a1.b2..d4", isBetterThan: "a1...d4"))
        XCTAssertFalse(PatternPrecedence.wildcard("a1...d4", isBetterThan: "a1.b2..d4"))
        XCTAssertTrue(PatternPrecedence.wildcard("a1.b2.c3.", isBetterThan: "a1.b2..d4"))
    }
}
