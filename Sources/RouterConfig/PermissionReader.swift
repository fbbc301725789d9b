import Realm

/// Reads one entry of a role's `permissions`.
///
/// Crossbar's reading of `uri`, which this follows: without `match`, a "starred" URI says the
/// policy (no `*`: exact; one trailing `*`: prefix, the `*` dropped; `*` as whole components:
/// wildcard, each `*` becoming an empty component). With `match`, Crossbar takes the URI as
/// written, so a `*` in it would be a literal character no real URI has: refused here. An empty
/// `uri` matches every URI in Crossbar whatever its `match` (its lookup falls back to the empty
/// key), so it is read as prefix `""`.
enum PermissionReader {
    static func read(_ node: ConfigNode, at path: ConfigPath, log: ProblemLog) -> Permission? {
        guard var map = MapReader(node, at: path, log: log) else { return nil }
        defer { map.finish(unsupported: ["validate": "payload validation against a type inventory"]) }
        let uri = map.string("uri", required: true)
        let explicitMatch = map.string("match")
        var matchIsValid = true
        if let explicitMatch, MatchPolicy(rawValue: explicitMatch) == nil {
            log.problem(path.key("match"), "must be exact, prefix or wildcard, got '\(explicitMatch)'", line: map.lineOf("match"))
            matchIsValid = false
        }
        let allow = readFlags(&map, key: "allow", names: WampAction.allCases.map(\.rawValue))
        let disclose = readFlags(&map, key: "disclose", names: ["caller", "publisher"])
        // Crossbar's default for an absent `cache` is false.
        let cache = map.bool("cache") ?? false
        guard let uri, matchIsValid, let allow, let disclose else { return nil }
        guard let (patternURI, match) = pattern(uri: uri, explicitMatch: explicitMatch.flatMap(MatchPolicy.init(rawValue:)),
                                               at: path.key("uri"), line: map.line, log: log) else { return nil }
        return Permission(
            uri: patternURI, match: match,
            allow: Set(WampAction.allCases.filter { allow.contains($0.rawValue) }),
            discloseCaller: disclose.contains("caller"), disclosePublisher: disclose.contains("publisher"),
            cache: cache
        )
    }

    /// The stored URI and policy for a `uri` as written (see the type's comment).
    static func pattern(uri: String, explicitMatch: MatchPolicy?, at path: ConfigPath, line: Int?,
                        log: ProblemLog) -> (String, MatchPolicy)? {
        if uri.unicodeScalars.contains(where: { $0 == "#" || $0.properties.isWhitespace }) {
            log.problem(path, "a URI has no whitespace and no '#', got '\(uri)'", line: line)
            return nil
        }
        if uri.isEmpty { return ("", .prefix) }
        if let explicitMatch {
            if uri.contains("*") {
                log.problem(path, "with an explicit match Crossbar takes '*' literally, so this permission would match nothing: drop the '*' or the match", line: line)
                return nil
            }
            return (uri, explicitMatch)
        }
        let stars = uri.count { $0 == "*" }
        if stars == 0 { return (uri, .exact) }
        if stars == 1, uri.hasSuffix("*") { return (String(uri.dropLast()), .prefix) }
        let components = uri.split(separator: ".", omittingEmptySubsequences: false)
        guard components.allSatisfy({ !$0.contains("*") || $0 == "*" }) else {
            log.problem(path, "a '*' stands for a whole URI component (com.*.event) or ends a prefix (com.example.*), got '\(uri)'", line: line)
            return nil
        }
        return (components.map { $0 == "*" ? "" : String($0) }.joined(separator: "."), .wildcard)
    }

    /// `allow` / `disclose`: a dictionary of booleans with known names; missing names are false.
    private static func readFlags(_ map: inout MapReader, key: String, names: [String]) -> Set<String>? {
        guard map.has(key) else {
            _ = map.node(key)
            return []
        }
        guard var flags = map.map(key) else { return nil }
        var set: Set<String> = []
        var valid = true
        for name in names {
            if flags.has(name) {
                guard let value = flags.bool(name) else { valid = false; continue }
                if value { set.insert(name) }
            }
        }
        let before = flags.log.problems.count
        flags.finish()
        if flags.log.problems.count != before { valid = false }
        return valid ? set : nil
    }
}
