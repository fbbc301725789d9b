import XCTest
import WampMessages
@testable import Realm

final class PatternIndexTests: XCTestCase {
    // MARK: Agreement with the linear rules on generated patterns and URIs

    /// Components chosen to collide: shared prefixes (`a`, `ab`, `a1`), and pairs that compare
    /// equal as Strings but differ in bytes (`é` precomposed and decomposed, `K` and KELVIN SIGN).
    private static let alphabet = ["a", "b", "ab", "ba", "a1", "e", "é", "e\u{301}", "K", "\u{212A}"]

    func testMatchesAgreeWithTheLinearRulesOnGeneratedPatterns() {
        var random = SeededGenerator(seed: 0x5EED_1DEA)
        for round in 0..<40 {
            var index = PatternIndex()
            var reference = LinearPatterns()
            let patternCount = 1 + Int(random.next() % 120)
            for _ in 0..<patternCount {
                let match: MatchPolicy = random.next() % 2 == 0 ? .prefix : .wildcard
                let pattern = match == .prefix ? Self.prefixPattern(&random) : Self.wildcardPattern(&random)
                let id = random.next() % 1_000_000 + 1
                if reference.insert(pattern, match: match, id: id) { index.insert(pattern, match: match, id: id) }
            }
            let uris = (0..<150).map { _ in Self.uri(&random) }
            assertAgreement(index, reference, uris, "round \(round)")

            // Take away about half (by the stored spelling, as the broker and dealer do) and compare again.
            for (pattern, match) in reference.all where random.next() % 2 == 0 {
                XCTAssertEqual(index.remove(pattern, match: match), reference.remove(pattern, match: match), pattern)
            }
            assertAgreement(index, reference, uris, "round \(round) after removals")

            for (pattern, match) in reference.all {
                XCTAssertNotNil(index.remove(pattern, match: match), pattern)
                _ = reference.remove(pattern, match: match)
            }
            XCTAssertTrue(index.isEmpty)
            XCTAssertEqual(index.prefix.nodeCount, 1, "only the root is left")
            XCTAssertEqual(index.wildcard.nodeCount, 0)
        }
    }

    private func assertAgreement(_ index: PatternIndex, _ reference: LinearPatterns, _ uris: [String], _ context: String,
                                 file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(index.prefix.count + index.wildcard.count, reference.prefix.count + reference.wildcard.count)
        for uri in uris {
            let found = index.matches(of: uri)
            XCTAssertEqual(found.count, Set(found).count, "no match reported twice for \(uri)", file: file, line: line)
            XCTAssertEqual(Set(found), reference.matches(uri), "\(context): matches of \(uri)", file: file, line: line)
            let best = index.bestMatch(of: uri)
            let acceptable = reference.bestCandidates(uri)
            if acceptable.isEmpty {
                XCTAssertNil(best, "\(context): best match of \(uri)", file: file, line: line)
            } else {
                XCTAssertTrue(best.map(acceptable.contains) ?? false,
                              "\(context): best match of \(uri) is \(String(describing: best)), expected one of \(acceptable)",
                              file: file, line: line)
            }
        }
    }

    private static func pick(_ random: inout SeededGenerator) -> String {
        alphabet[Int(random.next() % UInt64(alphabet.count))]
    }

    /// 1-4 components, then often cut inside the last component (or right after a `.`).
    private static func prefixPattern(_ random: inout SeededGenerator) -> String {
        let components = (0...(random.next() % 4)).map { _ in pick(&random) }
        var pattern = components.joined(separator: ".")
        if random.next() % 3 == 0, pattern.count > 1 { pattern.removeLast() }
        if random.next() % 8 == 0 { pattern += "." }
        return pattern
    }

    private static func wildcardPattern(_ random: inout SeededGenerator) -> String {
        (0...(random.next() % 4)).map { _ in random.next() % 5 < 2 ? "" : pick(&random) }.joined(separator: ".")
    }

    private static func uri(_ random: inout SeededGenerator) -> String {
        (0...(random.next() % 5)).map { _ in pick(&random) }.joined(separator: ".")
    }

    // MARK: Cases named by the spec

    func testPrefixMatchesInsideTheLastComponent() {
        var index = PatternIndex()
        index.insert("com.a", match: .prefix, id: 1)
        for uri in ["com.a", "com.ab.c", "com.a.b", "com.a-b"] {
            XCTAssertEqual(index.matches(of: uri), [1], uri)
        }
        for uri in ["com.b", "com", "co.a", "xcom.a"] {
            XCTAssertEqual(index.matches(of: uri), [], uri)
        }
        index.insert("com.ab", match: .prefix, id: 2)
        XCTAssertEqual(Set(index.matches(of: "com.abc")), [1, 2])
        XCTAssertEqual(index.bestMatch(of: "com.abc"), 2, "the longest prefix wins")
        XCTAssertEqual(index.bestMatch(of: "com.a.c"), 1)
    }

    func testWildcardEmptyComponentsMatchOneComponentEach() {
        var index = PatternIndex()
        index.insert("..c", match: .wildcard, id: 1)
        index.insert("a..", match: .wildcard, id: 2)
        index.insert(".b.", match: .wildcard, id: 3)
        index.insert("a.b.c", match: .wildcard, id: 4)
        XCTAssertEqual(Set(index.matches(of: "a.b.c")), [1, 2, 3, 4])
        XCTAssertEqual(Set(index.matches(of: "x.y.c")), [1])
        XCTAssertEqual(index.matches(of: "a.b.c.d"), [], "the component count must agree")
        XCTAssertEqual(index.matches(of: "a.c"), [])
        XCTAssertEqual(index.bestMatch(of: "a.b.c"), 4, "no wildcard beats every wildcard")
        XCTAssertTrue(index.remove("a.b.c", match: .wildcard) == 4)
        XCTAssertEqual(index.bestMatch(of: "a.b.c"), 2, "the first wildcard coming later wins")
        XCTAssertEqual(index.bestMatch(of: "x.b.c"), 3)
        XCTAssertEqual(index.bestMatch(of: "x.y.c"), 1)
    }

    func testAPrefixMatchBeatsEveryWildcardMatch() {
        var index = PatternIndex()
        index.insert("a.b.c", match: .wildcard, id: 1)
        index.insert("a", match: .prefix, id: 2)
        XCTAssertEqual(index.bestMatch(of: "a.b.c"), 2)
        index.remove("a", match: .prefix)
        XCTAssertEqual(index.bestMatch(of: "a.b.c"), 1)
    }

    func testRemovalFoldsTheTreeBackAndLeavesTheOtherPatterns() {
        var index = PatternIndex()
        for (id, pattern) in ["com.a", "com.ab", "com.abc", "com.b", "org"].enumerated() {
            index.insert(pattern, match: .prefix, id: WampID(id + 1))
        }
        let full = index.prefix.nodeCount
        XCTAssertEqual(index.remove("com.ab", match: .prefix), 2)
        XCTAssertNil(index.remove("com.ab", match: .prefix), "already gone")
        XCTAssertNil(index.remove("com", match: .prefix), "a cut in the tree is not a pattern")
        XCTAssertEqual(Set(index.matches(of: "com.abcd")), [1, 3])
        XCTAssertLessThan(index.prefix.nodeCount, full)
        index.insert("com.ab", match: .prefix, id: 6)
        XCTAssertEqual(index.prefix.id(of: "com.ab"), 6)
        XCTAssertEqual(Set(index.matches(of: "com.abcd")), [1, 3, 6])
        for pattern in ["com.a", "com.ab", "com.abc", "com.b", "org"] { XCTAssertNotNil(index.remove(pattern, match: .prefix), pattern) }
        XCTAssertEqual(index.prefix.nodeCount, 1)

        index.insert("a..c", match: .wildcard, id: 7)
        index.insert("a..d", match: .wildcard, id: 8)
        XCTAssertNil(index.remove("a..", match: .wildcard))
        XCTAssertNil(index.remove("a...c", match: .wildcard))
        XCTAssertEqual(index.remove("a..c", match: .wildcard), 7)
        XCTAssertEqual(index.matches(of: "a.x.d"), [8])
        XCTAssertEqual(index.matches(of: "a.x.c"), [])
        XCTAssertEqual(index.remove("a..d", match: .wildcard), 8)
        XCTAssertEqual(index.wildcard.nodeCount, 0)
        XCTAssertTrue(index.isEmpty)
    }

    func testNodesStayProportionalToThePatternsNotTheirLength() {
        var index = PatternIndex()
        let tail = String(repeating: "x", count: 500)
        for id in 1...200 { index.insert("com.app.\(id).\(tail)", match: .prefix, id: WampID(id)) }
        // A radix tree: at most two nodes per pattern (its own and one cut), plus the root.
        XCTAssertLessThanOrEqual(index.prefix.nodeCount, 2 * 200 + 1)
        XCTAssertEqual(index.matches(of: "com.app.17.\(tail).more"), [17])
    }

    func testAURIWithVeryManyComponentsIsWalkedWithoutRecursion() {
        var index = PatternIndex()
        let count = 200_000
        let pattern = Array(repeating: "", count: count).joined(separator: ".")
        index.insert(pattern, match: .wildcard, id: 1)
        let uri = Array(repeating: "a", count: count).joined(separator: ".")
        XCTAssertEqual(index.matches(of: uri), [1])
        XCTAssertEqual(index.bestMatch(of: uri), 1)
        XCTAssertEqual(index.remove(pattern, match: .wildcard), 1)
        XCTAssertEqual(index.wildcard.nodeCount, 0)
    }

    func testStringEqualPatternsOfDifferentBytesMatchAsTheLinearRuleDoes() {
        // The wildcard rule compares bytes: the decomposed `é` does not match the precomposed one.
        var index = PatternIndex()
        index.insert("caf\u{E9}.", match: .wildcard, id: 1)
        XCTAssertEqual(index.matches(of: "caf\u{E9}.x"), [1])
        XCTAssertEqual(index.matches(of: "cafe\u{301}.x"), [])
        // The prefix rule (String.hasPrefix) compares Characters: canonically equivalent ones match.
        index.insert("caf\u{E9}", match: .prefix, id: 2)
        XCTAssertEqual(index.matches(of: "cafe\u{301}.x"), [2])
        XCTAssertTrue(MatchPolicy.prefix.matches(pattern: "caf\u{E9}", uri: "cafe\u{301}.x"))
    }
}

/// The broker's and dealer's former linear scans, kept as the reference for the index.
private struct LinearPatterns {
    var prefix: [String: WampID] = [:]
    var wildcard: [String: WampID] = [:]

    var all: [(String, MatchPolicy)] { prefix.keys.map { ($0, .prefix) } + wildcard.keys.map { ($0, .wildcard) } }

    /// Stores the pattern unless (as in the broker and dealer tables) an equal key is there.
    mutating func insert(_ pattern: String, match: MatchPolicy, id: WampID) -> Bool {
        switch match {
        case .prefix:
            guard prefix[pattern] == nil else { return false }
            prefix[pattern] = id
        default:
            guard wildcard[pattern] == nil else { return false }
            wildcard[pattern] = id
        }
        return true
    }

    mutating func remove(_ pattern: String, match: MatchPolicy) -> WampID? {
        match == .prefix ? prefix.removeValue(forKey: pattern) : wildcard.removeValue(forKey: pattern)
    }

    func matches(_ uri: String) -> Set<WampID> {
        var result = Set<WampID>()
        for (pattern, id) in prefix where MatchPolicy.prefix.matches(pattern: pattern, uri: uri) { result.insert(id) }
        for (pattern, id) in wildcard where MatchPolicy.wildcard.matches(pattern: pattern, uri: uri) { result.insert(id) }
        return result
    }

    /// The IDs the old `Dealer.State.lookup` could choose: no other match ranks above them (more
    /// than one only where its precedence ties and dictionary order decided).
    func bestCandidates(_ uri: String) -> Set<WampID> {
        let prefixes = prefix.filter { MatchPolicy.prefix.matches(pattern: $0.key, uri: uri) }
        if !prefixes.isEmpty {
            return Set(prefixes.filter { candidate in
                !prefixes.contains { PatternPrecedence.prefix($0.key, isBetterThan: candidate.key) }
            }.map(\.value))
        }
        let wildcards = wildcard.filter { MatchPolicy.wildcard.matches(pattern: $0.key, uri: uri) }
        return Set(wildcards.filter { candidate in
            !wildcards.contains { $0.key != candidate.key && PatternPrecedence.wildcard($0.key, isBetterThan: candidate.key) }
        }.map(\.value))
    }
}

/// SplitMix64 with a fixed seed: the same patterns and URIs on every run.
private struct SeededGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE5_E4B9
        z = (z ^ (z >> 27)) &* 0x94D0_49EB_1331_11EB
        return z ^ (z >> 31)
    }
}
