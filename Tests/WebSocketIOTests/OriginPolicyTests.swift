import XCTest

@testable import WebSocketIO

final class OriginPolicyTests: XCTestCase {
    private func allows(_ patterns: [String], _ origin: String, allowsNull: Bool = false) throws -> Bool {
        try OriginPolicy(patterns: patterns, allowsNullOrigin: allowsNull).decide(originHeaderValues: [origin]) == .allowed
    }

    func testOriginIsNormalisedWithDefaultPort() {
        XCTAssertEqual(OriginPolicy.normalizeOrigin("https://Example.COM"), .origin("https://example.com:443"))
        XCTAssertEqual(OriginPolicy.normalizeOrigin("HTTP://example.com"), .origin("http://example.com:80"))
        XCTAssertEqual(OriginPolicy.normalizeOrigin("ws://example.com"), .origin("ws://example.com:80"))
        XCTAssertEqual(OriginPolicy.normalizeOrigin("wss://example.com"), .origin("wss://example.com:443"))
        XCTAssertEqual(OriginPolicy.normalizeOrigin("http://example.com:8080"), .origin("http://example.com:8080"))
        XCTAssertEqual(OriginPolicy.normalizeOrigin("http://[::1]:8080"), .origin("http://[::1]:8080"))
        XCTAssertEqual(OriginPolicy.normalizeOrigin("http://[::1]"), .origin("http://[::1]:80"))
        XCTAssertEqual(OriginPolicy.normalizeOrigin(" https://example.com/ "), .origin("https://example.com:443"))
        XCTAssertEqual(OriginPolicy.normalizeOrigin("chrome-extension://abcdef"), .origin("chrome-extension://abcdef"))
        XCTAssertEqual(OriginPolicy.normalizeOrigin("null"), .null)
        XCTAssertEqual(OriginPolicy.normalizeOrigin("file://"), .null)
    }

    func testMalformedOriginsAreInvalid() {
        for origin in ["", "example.com", "https://", "https://good.example@evil.example", "http://example.com:99999",
                       "http://example.com:x", "http://*.example.com", "://example.com", "http://[::1",
                       "https://" + String(repeating: "a", count: OriginPolicy.maxOriginLength)] {
            XCTAssertEqual(OriginPolicy.normalizeOrigin(origin), .invalid, origin)
        }
    }

    func testPatternsAreNormalisedLikeOrigins() throws {
        let policy = try OriginPolicy(patterns: ["https://Example.com", "http://*.example.com:8080", "*", "http://localhost:*"])
        XCTAssertEqual(policy.normalizedPatterns, [
            "https://example.com:443", "http://*.example.com:8080", "*", "http://localhost:*",
        ])
    }

    func testExactPatternMatchesWithOrWithoutDefaultPort() throws {
        XCTAssertTrue(try self.allows(["https://example.com"], "https://example.com"))
        XCTAssertTrue(try self.allows(["https://example.com"], "https://example.com:443"))
        XCTAssertTrue(try self.allows(["https://example.com:443"], "https://EXAMPLE.com"))
        XCTAssertFalse(try self.allows(["https://example.com"], "http://example.com"), "scheme differs")
        XCTAssertFalse(try self.allows(["https://example.com"], "https://example.com:8443"), "port differs")
        XCTAssertFalse(try self.allows(["https://example.com"], "https://example.com.evil.net"), "whole origin must match")
        XCTAssertFalse(try self.allows(["https://example.com"], "https://evilexample.com"))
    }

    func testWildcardSubdomainsAndPorts() throws {
        let patterns = ["http://*.example.com:8080"]
        XCTAssertTrue(try self.allows(patterns, "http://app.example.com:8080"))
        XCTAssertTrue(try self.allows(patterns, "http://a.b.example.com:8080"), "* spans dots, as in Autobahn")
        XCTAssertFalse(try self.allows(patterns, "http://example.com:8080"), "the dot before example.com is literal")
        XCTAssertFalse(try self.allows(patterns, "http://app.example.com"), "port 80 is not 8080")
        XCTAssertFalse(try self.allows(patterns, "https://app.example.com:8080"))
        XCTAssertFalse(try self.allows(patterns, "http://app.example.com.evil.net:8080"))
        XCTAssertTrue(try self.allows(["http://localhost:*"], "http://localhost:3000"))
        XCTAssertTrue(try self.allows(["http://localhost:*"], "http://localhost"))
        XCTAssertFalse(try self.allows(["http://localhost:*"], "http://localhost.evil.net:3000"))
    }

    func testStarAllowsEveryOriginButNotNull() throws {
        XCTAssertTrue(try self.allows(["*"], "https://anything.example:1234"))
        XCTAssertTrue(try self.allows(["*"], "chrome-extension://abc"))
        XCTAssertFalse(try self.allows(["*"], "null"), "null is its own decision, as in Autobahn")
        XCTAssertTrue(try self.allows(["*"], "null", allowsNull: true))
        XCTAssertTrue(try self.allows(["https://example.com"], "file://", allowsNull: true))
        XCTAssertFalse(try self.allows(["*"], "not an origin"), "malformed is refused even by *")
    }

    func testRegexCharactersInPatternsAreLiteral() throws {
        XCTAssertFalse(try self.allows(["https://exa.ple.com"], "https://exaxple.com"), "a dot is a dot")
        XCTAssertFalse(try self.allows(["https://a+.com"], "https://aa.com"))
        XCTAssertTrue(try self.allows(["https://a+.com"], "https://a+.com"))
    }

    func testNoOriginIsAllowedAndTwoOriginsAreRefused() throws {
        let policy = try OriginPolicy(patterns: ["https://example.com"])
        XCTAssertEqual(policy.decide(originHeaderValues: []), .allowed)
        XCTAssertEqual(policy.decide(originHeaderValues: ["https://example.com", "https://example.com"]),
                       .refused(origin: "https://example.com, https://example.com"))
        XCTAssertEqual(policy.decide(originHeaderValues: ["https://evil.net"]), .refused(origin: "https://evil.net"))
        XCTAssertEqual(try OriginPolicy(patterns: []).decide(originHeaderValues: ["https://example.com"]),
                       .refused(origin: "https://example.com"), "an empty list allows no browser origin")
    }

    func testInvalidPatternsAreRefusedWithTheirText() {
        for pattern in ["", "https://example.com/app", "https://user@example.com", "https://:443", "http://example.com:70000"] {
            XCTAssertThrowsError(try OriginPolicy(patterns: [pattern]), pattern) { error in
                guard case .invalidPattern(let text, _) = error as? OriginPolicyError else { return XCTFail("\(error)") }
                XCTAssertEqual(text, pattern)
            }
        }
    }

    func testWildcardMatchIsWholeText() {
        func match(_ pattern: String, _ text: String) -> Bool {
            OriginPolicy.wildcardMatch(pattern: pattern.utf8, text: text.utf8)
        }
        XCTAssertTrue(match("", ""))
        XCTAssertTrue(match("*", ""))
        XCTAssertTrue(match("a*b*c", "aXXbYYc"))
        XCTAssertTrue(match("a*b*c", "abc"))
        XCTAssertFalse(match("a*b*c", "abcd"))
        XCTAssertTrue(match("*c", "abcbc"))
        XCTAssertFalse(match("a", "ab"))
        XCTAssertFalse(match("ab", "a"))
        XCTAssertTrue(match("**", "xyz"))
    }
}
