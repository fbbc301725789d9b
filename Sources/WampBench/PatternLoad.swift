import ArgumentParser

/// Wildcard subscriptions or registrations that match nothing the run sends, held by their own
/// sessions for the whole run: `--patterns N` shows whether PUBLISH and CALL cost grows with the
/// patterns that do not match (issue 8).
struct PatternLoad {
    let count: Int
    let perSession: Int
    /// REGISTER (rpc) or SUBSCRIBE (pubsub).
    let register: Bool

    /// Patterns with as many components as `target` (`bench.topic`), so a matcher cannot rule
    /// them out by length: even ones change the first component (`bench12.`), odd ones the second
    /// behind a wildcard (`.topic13`). None matches `target`.
    static func patterns(_ range: Range<Int>, missing target: String) -> [String] {
        let parts = target.split(separator: ".", omittingEmptySubsequences: false)
        return range.map { i in
            if i % 2 == 0 {
                return ([parts[0] + "\(i)"] + parts.dropFirst().map { _ in "" }).joined(separator: ".")
            }
            return ([""] + parts.dropFirst().dropLast() + [parts[parts.count - 1] + "\(i)"]).joined(separator: ".")
        }
    }

    /// Opens the holder sessions (`perSession` patterns each, 16 handshakes at a time) and
    /// returns them once every pattern is acknowledged, with the seconds that took.
    func open(loops: LoopSet, config: PeerConfig, target: String, endpoint: BenchEndpoint, timeout: Double) async throws -> ([WampPeer], Double) {
        guard count > 0 else { return ([], 0) }
        let start = nowNanos()
        let sessions = (count + perSession - 1) / perSession
        let holders = (0..<sessions).map { index -> WampPeer in
            let peer = WampPeer(role: .patternHolder, stats: loops.slot(index), config: config)
            peer.patterns = Self.patterns(index * perSession..<min(count, (index + 1) * perSession), missing: target)
            peer.patternsRegister = register
            return peer
        }
        try await WampBench.open(holders, endpoint: endpoint, parallel: 16, timeout: timeout)
        return (holders, Double(nowNanos() - start) / 1e9)
    }

    func describe(into report: inout Report, seconds: Double) {
        report.add("patterns", count)
        report.add("patterns_per_session", perSession)
        report.add("pattern_setup_seconds", seconds)
    }
}

struct PatternOptions: ParsableArguments {
    @Option(help: "Non-matching wildcard subscriptions (pubsub) or registrations (rpc) held during the run.")
    var patterns = 0

    @Option(help: "Patterns per holder session.")
    var patternsPerSession = 1000

    func validate() throws {
        guard patterns >= 0, patternsPerSession >= 1 else { throw ValidationError("--patterns must be >= 0, --patterns-per-session >= 1") }
    }

    func load(register: Bool) -> PatternLoad {
        PatternLoad(count: patterns, perSession: patternsPerSession, register: register)
    }
}
