import WebSocketIO

/// libFuzzer entry: `allowed_origins` patterns and `Origin` header values.
///
/// - byte 0, bit 0: `allowsNullOrigin`
/// - the rest, up to the first NUL byte: the patterns, one per line (LF); after it: the `Origin`
///   values, one per line. Without a NUL byte every line is an origin and the patterns are `*`.
///
/// A pattern set that does not build (empty, bad port, a path) may throw; `decide` must answer
/// every origin. Checked besides "no trap, leak or memory error", from what `OriginPolicy`
/// promises: no header allows; two headers refuse; a refusal carries the value as sent; the
/// set allows exactly when one of its patterns alone does; `null` follows `allowsNullOrigin`;
/// `*` allows every well-formed origin; an origin's own normalised form (default port spelt out)
/// as the only pattern allows it; surrounding spaces and tabs, and ASCII case, change nothing;
/// and `wildcardMatch` agrees with a plain dynamic-programming matcher.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOriginPolicy(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let input = UnsafeBufferPointer(start: data, count: size)
    let allowsNull = input[0] & 1 != 0
    let rest = Array(input[1...])
    let patterns: [String], origins: [String]
    if let separator = rest.firstIndex(of: 0) {
        patterns = lines(rest[..<separator])
        origins = lines(rest[(separator + 1)...])
    } else {
        patterns = ["*"]
        origins = lines(rest[...])
    }

    let policy: OriginPolicy
    do {
        policy = try OriginPolicy(patterns: patterns, allowsNullOrigin: allowsNull)
    } catch {
        checkOriginsAlone(origins, allowsNull: allowsNull)
        return 0
    }
    if policy.normalizedPatterns.count != patterns.count {
        fatalError("\(patterns.count) patterns normalised to \(policy.normalizedPatterns.count)")
    }
    // Each pattern alone builds (it did in the set), so the set can be compared with its members.
    let singles = patterns.map { try! OriginPolicy(patterns: [$0], allowsNullOrigin: allowsNull) }

    if policy.decide(originHeaderValues: []) != .allowed { fatalError("a request without Origin was refused") }
    if origins.count >= 2 {
        let expected = OriginPolicy.Decision.refused(origin: origins.joined(separator: ", "))
        if policy.decide(originHeaderValues: origins) != expected {
            fatalError("\(origins.count) Origin headers were not refused as one joined value")
        }
    }
    for origin in origins {
        let decision = policy.decide(originHeaderValues: [origin])
        if case .refused(let shown) = decision, shown != origin {
            fatalError("refusal shows \(shown.debugDescription), not the value sent \(origin.debugDescription)")
        }
        let allowed = decision == .allowed
        let allowedByOne = singles.contains { $0.decide(originHeaderValues: [origin]) == .allowed }
        if !singles.isEmpty && allowed != allowedByOne {
            fatalError("the set says \(allowed) for \(origin.debugDescription), its patterns alone \(allowedByOne)")
        }
        checkSpellings(origin, policy: policy, allowed: allowed)
        for pattern in policy.normalizedPatterns {
            checkMatcher(pattern: pattern, origin: origin)
        }
    }
    checkOriginsAlone(origins, allowsNull: allowsNull)
    return 0
}

/// Properties of each origin that hold whatever the patterns are.
private func checkOriginsAlone(_ origins: [String], allowsNull: Bool) {
    let anyOrigin = try! OriginPolicy(patterns: ["*"], allowsNullOrigin: allowsNull)
    for origin in origins {
        let normalized = OriginPolicy.normalizeOrigin(origin)
        let decision = anyOrigin.decide(originHeaderValues: [origin]) == .allowed
        switch normalized {
        case .origin(let text):
            if !decision { fatalError("'*' refused the well-formed origin \(origin.debugDescription) (\(text))") }
            checkOwnForm(text, origin: origin)
        case .null:
            if decision != allowsNull { fatalError("null origin \(origin.debugDescription) allowed: \(decision)") }
        case .invalid:
            if decision { fatalError("'*' allowed the invalid origin \(origin.debugDescription)") }
        }
        if trimmedLength(origin) > OriginPolicy.maxOriginLength, normalized != .invalid {
            fatalError("an origin of \(trimmedLength(origin)) bytes after trimming was not refused as invalid")
        }
    }
}

/// The normalised form `scheme://host[:port]`, as the only pattern, allows the origin it came
/// from, and normalising it again as a pattern or an origin changes nothing. Checked for ASCII
/// forms only (Unicode lowercasing is not promised to be idempotent), and not for a form ending
/// in a blank (`foo://a /x` has host `a `, which pattern trimming cuts; no browser sends that).
private func checkOwnForm(_ text: String, origin: String) {
    guard text.utf8.allSatisfy({ $0 < 0x80 }), text.last != " ", text.last != "\t" else { return }
    guard let own = try? OriginPolicy(patterns: [text]) else {
        // The only way a normalised origin fails as a pattern: the filled-in port made it too long.
        if text.utf8.count <= OriginPolicy.maxOriginLength {
            fatalError("the normalised origin \(text.debugDescription) is refused as a pattern")
        }
        return
    }
    if own.decide(originHeaderValues: [origin]) != .allowed {
        fatalError("pattern \(text.debugDescription) refused the origin \(origin.debugDescription) it was made from")
    }
    if own.normalizedPatterns != [text] {
        fatalError("pattern normalisation of \(text.debugDescription) gave \(own.normalizedPatterns)")
    }
    if OriginPolicy.normalizeOrigin(text) != .origin(text) {
        fatalError("origin normalisation is not idempotent on \(text.debugDescription)")
    }
}

/// Spaces and tabs around the value, and the case of its letters, do not change the decision.
/// ASCII values only: a leading combining mark would fuse with the added blank into one
/// `Character`, and non-ASCII case mappings may change the length.
private func checkSpellings(_ origin: String, policy: OriginPolicy, allowed: Bool) {
    guard origin.utf8.allSatisfy({ $0 < 0x80 }) else { return }
    let padded = " \t" + origin + "\t "
    if (policy.decide(originHeaderValues: [padded]) == .allowed) != allowed {
        fatalError("surrounding blanks changed the decision on \(origin.debugDescription)")
    }
    for spelling in [origin.uppercased(), origin.lowercased()] where
        (policy.decide(originHeaderValues: [spelling]) == .allowed) != allowed
    {
        fatalError("the case of \(origin.debugDescription) changed the decision (\(spelling.debugDescription))")
    }
}

/// `wildcardMatch` (greedy with one backtrack point) against the obvious O(n·m) table.
private func checkMatcher(pattern: String, origin: String) {
    guard case .origin(let text) = OriginPolicy.normalizeOrigin(origin) else { return }
    let fast = OriginPolicy.wildcardMatch(pattern: pattern.utf8, text: text.utf8)
    let slow = referenceMatch(Array(pattern.utf8), Array(text.utf8))
    if fast != slow {
        fatalError("wildcardMatch(\(pattern.debugDescription), \(text.debugDescription)) is \(fast), should be \(slow)")
    }
}

/// `matches[j]`: the pattern so far matches the first `j` bytes of the text.
private func referenceMatch(_ pattern: [UInt8], _ text: [UInt8]) -> Bool {
    var matches = [Bool](repeating: false, count: text.count + 1)
    var next = matches
    matches[0] = true
    for byte in pattern {
        if byte == UInt8(ascii: "*") {
            var any = false
            for j in 0...text.count {
                any = any || matches[j]
                next[j] = any
            }
        } else {
            next[0] = false
            for j in 0..<text.count { next[j + 1] = matches[j] && text[j] == byte }
        }
        swap(&matches, &next)
    }
    return matches[text.count]
}

private func trimmedLength(_ value: String) -> Int {
    var view = Substring(value)
    while let first = view.first, first == " " || first == "\t" { view = view.dropFirst() }
    while let last = view.last, last == " " || last == "\t" { view = view.dropLast() }
    return view.utf8.count
}

/// Lines as a header parser would hand them over: LF-separated, CR dropped (NIO's HTTP parser
/// never yields CR or LF inside a value), bytes decoded as UTF-8 with replacement.
private func lines(_ bytes: ArraySlice<UInt8>) -> [String] {
    bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { line in
        String(decoding: line.filter { $0 != UInt8(ascii: "\r") }, as: UTF8.self)
    }
}
