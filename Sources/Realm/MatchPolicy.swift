/// How a registration or subscription URI matches the URIs of calls and publications
/// (spec "Pattern-based Registrations" / "Pattern-based Subscriptions").
public enum MatchPolicy: String, Sendable, Hashable {
    case exact
    /// Any URI that starts with the pattern, as a string (`com.a` matches `com.a.b` and `com.a-b`).
    case prefix
    /// Empty components of the pattern match any one component; the component count must agree.
    case wildcard

    /// Reads `Options.match`; `nil` for a value the spec does not define.
    public init?(option: String?) {
        guard let option else { self = .exact; return }
        self.init(rawValue: option)
    }

    public func matches(pattern: String, uri: String) -> Bool {
        switch self {
        case .exact:
            return pattern == uri
        case .prefix:
            return uri.hasPrefix(pattern)
        case .wildcard:
            var patternComponents = pattern.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)[...]
            var uriComponents = uri.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)[...]
            guard patternComponents.count == uriComponents.count else { return false }
            while let expected = patternComponents.popFirst(), let actual = uriComponents.popFirst() {
                if !expected.isEmpty && !expected.elementsEqual(actual) { return false }
            }
            return true
        }
    }
}

/// Orders the pattern registrations that match one URI, best first, as the spec's
/// "Calls matching multiple registrations" algorithm does: longest prefix wins among prefixes;
/// among wildcards, the one whose first wildcard comes later wins, then the next, and so on.
enum PatternPrecedence {
    /// True when `a` should be chosen over `b` (both prefix patterns matching the same URI).
    static func prefix(_ a: String, isBetterThan b: String) -> Bool {
        a.utf8.count > b.utf8.count
    }

    /// True when `a` should be chosen over `b` (both wildcard patterns matching the same URI).
    static func wildcard(_ a: String, isBetterThan b: String) -> Bool {
        let first = a.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        let second = b.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        for (x, y) in zip(first, second) where x.isEmpty != y.isEmpty {
            return !x.isEmpty
        }
        return a < b  // a stable, if arbitrary, order between equally specific patterns
    }
}
