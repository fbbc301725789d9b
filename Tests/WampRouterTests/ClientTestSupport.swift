import Synchronization
import XCTest

struct TimedOut: Error, CustomStringConvertible {
    var what: String
    var description: String { "timed out waiting for \(what)" }
}

/// Runs `body`, failing with `TimedOut` if it takes longer than `seconds` (a bound on waits
/// that would otherwise hang the suite, not a claim about speed).
func withTimeout<T: Sendable>(_ seconds: Double = 10, _ what: String = "an answer",
                              _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
            throw TimedOut(what: what)
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}

/// Values handlers report from other tasks, with a bounded wait for a count of them.
final class Recorder<Value: Sendable>: Sendable {
    private let values = Mutex<[Value]>([])

    func append(_ value: Value) { values.withLock { $0.append(value) } }
    var all: [Value] { values.withLock { $0 } }

    func wait(for count: Int, seconds: Double = 10) async throws -> [Value] {
        for _ in 0..<Int(seconds * 100) {
            let now = all
            if now.count >= count { return now }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw TimedOut(what: "\(count) values (have \(all.count))")
    }
}
