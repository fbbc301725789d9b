import Logging
import NIOCore
import Synchronization
@testable import WampRouter
import XCTest

/// A flood of refused unacknowledged PUBLISHes gives one info line per interval, with a count.
final class RefusalLogThrottleTests: XCTestCase {
    func testOneLinePerIntervalWithTheSuppressedCount() {
        let lines = LineCollector()
        let logger = Logger(label: "t") { _ in lines }
        var throttle = RefusalLogThrottle()
        let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
        for i in 0..<1000 {
            throttle.refused(request: 1, why: "bad\ntopic", logger: logger, now: start + .milliseconds(Int64(i)))
        }
        throttle.refused(request: 1, why: "bad", logger: logger, now: start + .milliseconds(1500))
        XCTAssertEqual(lines.lines.count, 2)
        XCTAssertEqual(lines.lines.first?.metadata["why"], #""bad\ntopic""#, "peer text is escaped")
        XCTAssertEqual(lines.lines.last?.metadata["suppressedSinceLast"], "999")
    }
}

/// A log handler that keeps every line.
final class LineCollector: LogHandler, @unchecked Sendable {
    struct Line { var message: String; var metadata: [String: String] }
    private let store = Mutex<[Line]>([])
    var lines: [Line] { store.withLock { $0 } }
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var flat: [String: String] = [:]
        for (key, value) in event.metadata ?? [:] { flat[key] = "\(value)" }
        store.withLock { $0.append(Line(message: "\(event.message)", metadata: flat)) }
    }
}
