import XCTest
@testable import Realm

/// Which permission decides a URI: exact, then wildcard, then the longest prefix; none = denied.
final class PermissionMatcherTests: XCTestCase {
    private func permission(_ uri: String, _ match: MatchPolicy, _ allow: Set<WampAction>,
                            discloseCaller: Bool = false, disclosePublisher: Bool = false) -> Permission {
        Permission(uri: uri, match: match, allow: allow, discloseCaller: discloseCaller, disclosePublisher: disclosePublisher)
    }

    /// The URI of the deciding permission with its policy, e.g. "prefix a.", or "none".
    private func decider(_ matcher: PermissionMatcher, _ uri: String) -> String {
        matcher.decidingPermission(for: uri).map { "\($0.match.rawValue) \($0.uri)" } ?? "none"
    }

    func testExactPermissionDoesNotShadowAPrefixForLongerURIs() {
        // Crossbar's trie finds exact 'a.b' as the longest key 'a.b.x' starts with and denies.
        let matcher = PermissionMatcher([
            permission("a.", .prefix, [.call]),
            permission("a.b", .exact, []),
        ])
        XCTAssertEqual(decider(matcher, "a.b.x"), "prefix a.")
        XCTAssertTrue(matcher.grant(for: "a.b.x").allows(.call))
        XCTAssertEqual(decider(matcher, "a.b"), "exact a.b")
        XCTAssertFalse(matcher.grant(for: "a.b").allows(.call), "the exact permission decides its own URI and denies")
        XCTAssertEqual(decider(matcher, "a.bc"), "prefix a.")
    }

    func testExactBeatsWildcardBeatsLongestPrefix() {
        let matcher = PermissionMatcher([
            permission("com.", .prefix, [.subscribe]),
            permission("com.example.", .prefix, [.publish]),
            permission("com.example.foo.", .prefix, [.register]),
            permission("com..foo.bar", .wildcard, [.call]),
            permission("com.example.foo.bar", .exact, [.publish, .subscribe]),
        ])
        XCTAssertEqual(decider(matcher, "com.example.foo.bar"), "exact com.example.foo.bar")
        XCTAssertEqual(decider(matcher, "com.other.foo.bar"), "wildcard com..foo.bar")
        XCTAssertEqual(decider(matcher, "com.example.foo.baz"), "prefix com.example.foo.",
                       "the wildcard does not match, so the longest prefix decides")
        XCTAssertEqual(decider(matcher, "com.example.x"), "prefix com.example.")
        XCTAssertEqual(decider(matcher, "com.x"), "prefix com.")
        XCTAssertEqual(decider(matcher, "org.x"), "none")
        // A wildcard that matches wins even over a longer matching prefix (Crossbar's order).
        let wide = PermissionMatcher([permission("com.example.foo.", .prefix, [.register]), permission("com...bar", .wildcard, [.call])])
        XCTAssertEqual(decider(wide, "com.example.foo.bar"), "wildcard com...bar")
    }

    func testTheBestMatchDecidesAloneEvenWhenItDenies() {
        let matcher = PermissionMatcher([
            permission("app.", .prefix, [.call, .subscribe]),
            permission("app.admin.", .prefix, [.subscribe]),
        ])
        let grant = matcher.grant(for: "app.admin.reset")
        XCTAssertFalse(grant.allows(.call), "the longer prefix does not allow call; the shorter one is not consulted")
        XCTAssertTrue(grant.allows(.subscribe))
        XCTAssertFalse(grant.allows(.publish))
        XCTAssertFalse(grant.allows(.register))
    }

    func testNoPermissionMeansEverythingDenied() {
        let empty = PermissionMatcher([])
        XCTAssertNil(empty.decidingPermission(for: "com.example"))
        for action in WampAction.allCases { XCTAssertFalse(empty.grant(for: "com.example").allows(action)) }
        let other = PermissionMatcher([permission("com.example.", .prefix, Set(WampAction.allCases))])
        XCTAssertNil(other.decidingPermission(for: "com.exampl"), "a URI shorter than the prefix does not match")
        XCTAssertEqual(other.grant(for: "org.example"), StaticGrant.nothing)
    }

    func testEmptyPrefixMatchesEverything() {
        let matcher = PermissionMatcher([permission("", .prefix, [.call])])
        XCTAssertEqual(decider(matcher, "anything.at.all"), "prefix ")
        XCTAssertEqual(decider(matcher, "wamp.session.kill_all"), "prefix ")
        XCTAssertTrue(matcher.grant(for: "x").allows(.call))
    }

    func testAmongWildcardsTheFirstWildcardComponentComingLaterWins() {
        let matcher = PermissionMatcher([
            permission("a..c", .wildcard, [.call]),
            permission("a.b.", .wildcard, [.publish]),
            permission("..c", .wildcard, [.subscribe]),
        ])
        XCTAssertEqual(decider(matcher, "a.b.c"), "wildcard a.b.")
        XCTAssertEqual(decider(matcher, "a.x.c"), "wildcard a..c")
        XCTAssertEqual(decider(matcher, "z.x.c"), "wildcard ..c")
        XCTAssertEqual(decider(matcher, "a.b.c.d"), "none", "wildcards match only URIs with as many components")
    }

    func testAPatternURIIsMatchedAsGiven() {
        // SUBSCRIBE/REGISTER with a pattern is authorized on the pattern text itself.
        let matcher = PermissionMatcher([permission("com.example.", .prefix, [.subscribe])])
        XCTAssertTrue(matcher.grant(for: "com.example..events").allows(.subscribe))
        XCTAssertFalse(matcher.grant(for: "com.example").allows(.subscribe))
    }

    func testDuplicatesKeepTheLastAndPoliciesStaySeparate() {
        let matcher = PermissionMatcher([
            permission("a.b", .exact, [.call]),
            permission("a.b", .exact, [.publish]),
            permission("a.b", .prefix, [.subscribe]),
        ])
        XCTAssertEqual(matcher.decidingPermission(for: "a.b")?.allow, [.publish])
        XCTAssertEqual(matcher.decidingPermission(for: "a.b.c")?.allow, [.subscribe])
    }

    func testGrantCarriesDisclosureForCallsAndPublicationsOnly() {
        let matcher = PermissionMatcher([permission("p.", .prefix, Set(WampAction.allCases), discloseCaller: true, disclosePublisher: false),
                                         permission("t.", .prefix, Set(WampAction.allCases), discloseCaller: false, disclosePublisher: true)])
        let p = matcher.grant(for: "p.x")
        XCTAssertTrue(p.discloses(.call))
        XCTAssertFalse(p.discloses(.publish))
        XCTAssertFalse(p.discloses(.register))
        let t = matcher.grant(for: "t.x")
        XCTAssertTrue(t.discloses(.publish))
        XCTAssertFalse(t.discloses(.call))
        XCTAssertFalse(t.discloses(.subscribe))
    }

    func testDecisionCacheEmptiesWhenFullByCountOrBytes() {
        var cache = DecisionCache<String, Int>(maxEntries: 3, maxBytes: 10)
        XCTAssertFalse(cache.insert(1, for: "a", bytes: 1))
        XCTAssertFalse(cache.insert(2, for: "b", bytes: 1))
        XCTAssertFalse(cache.insert(3, for: "c", bytes: 1))
        XCTAssertFalse(cache.insert(30, for: "c", bytes: 1), "replacing a present key is not growth")
        XCTAssertEqual(cache.count, 3)
        XCTAssertTrue(cache.insert(4, for: "d", bytes: 1))
        XCTAssertEqual(cache.count, 1)
        XCTAssertNil(cache["a"])
        XCTAssertEqual(cache["d"], 4)
        XCTAssertFalse(cache.insert(5, for: "long", bytes: 11), "an entry larger than the byte bound is not kept")
        XCTAssertNil(cache["long"])
        XCTAssertFalse(cache.insert(6, for: "e", bytes: 8))
        XCTAssertTrue(cache.insert(7, for: "f", bytes: 2), "past the byte bound")
        XCTAssertEqual(cache.bytes, 2)
    }
}
