import WampMessages

/// The `prefix` and `wildcard` subscriptions (or registrations) of a realm, indexed so that what a
/// PUBLISH or CALL costs depends on its URI and on the patterns that match it, never on the
/// patterns that do not (issue 8: a linear scan made 10,000 unmatched wildcard subscriptions
/// slow every publication, and every SUBSCRIBE's own meta event).
///
/// Exact URIs are not patterns: their owners keep them in a dictionary, one probe per message.
/// Matching keeps `MatchPolicy.matches` exactly (each tree confirms its hits with it) and the
/// dealer's choice keeps `PatternPrecedence`: a prefix match beats any wildcard match.
struct PatternIndex: Sendable {
    /// One stored pattern and the subscription or registration it stands for.
    struct Entry: Sendable, Equatable {
        let pattern: String
        let id: WampID
    }

    private(set) var prefix = PrefixPatternTree()
    private(set) var wildcard = WildcardPatternTree()

    var isEmpty: Bool { prefix.isEmpty && wildcard.isEmpty }

    /// Stores a pattern under `match` (`.prefix` or `.wildcard`; `.exact` is not indexed).
    mutating func insert(_ pattern: String, match: MatchPolicy, id: WampID) {
        switch match {
        case .exact: assertionFailure("exact URIs are not patterns")
        case .prefix: prefix.insert(pattern, id: id)
        case .wildcard: wildcard.insert(pattern, id: id)
        }
    }

    @discardableResult
    mutating func remove(_ pattern: String, match: MatchPolicy) -> WampID? {
        switch match {
        case .exact: nil
        case .prefix: prefix.remove(pattern)
        case .wildcard: wildcard.remove(pattern)
        }
    }

    /// Calls `body` with the ID of every pattern matching `uri`: prefixes, then wildcards.
    func forEachMatch(of uri: String, _ body: (WampID) -> Void) {
        if !prefix.isEmpty { prefix.forEachMatch(of: uri) { body($0.id) } }
        if !wildcard.isEmpty {
            wildcard.forEachMatch(of: uri) { entry in
                body(entry.id)
                return true
            }
        }
    }

    func matches(of uri: String) -> [WampID] {
        var result: [WampID] = []
        forEachMatch(of: uri) { result.append($0) }
        return result
    }

    /// The one pattern a CALL to `uri` goes to: the longest matching prefix, else the wildcard
    /// that `PatternPrecedence.wildcard` ranks first.
    func bestMatch(of uri: String) -> WampID? {
        if !prefix.isEmpty, let best = prefix.bestMatch(of: uri) { return best.id }
        if !wildcard.isEmpty { return wildcard.bestMatch(of: uri)?.id }
        return nil
    }
}
