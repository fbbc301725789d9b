import NIOCore
import WebSocketIO
import XCTest

final class LogThrottleTests: XCTestCase {
    func testOneLinePerIntervalCountingEveryEventItStandsFor() {
        var throttle = LogThrottle(interval: .seconds(1))
        let start = NIODeadline.uptimeNanoseconds(5_000_000_000)
        XCTAssertEqual(throttle.note(now: start), 1)
        for i in 1...9 { XCTAssertNil(throttle.note(now: start + .milliseconds(Int64(i) * 100))) }
        XCTAssertEqual(throttle.note(now: start + .seconds(1)), 10, "the nine held back and this one")
        XCTAssertNil(throttle.note(now: start + .milliseconds(1500)))
        XCTAssertEqual(throttle.note(now: start + .seconds(3)), 2)
    }
}
