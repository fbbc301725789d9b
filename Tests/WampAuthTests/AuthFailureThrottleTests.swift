import XCTest
@testable import WampAuth

final class AuthFailureThrottleTests: XCTestCase {
    let start = ContinuousClock.now

    func testDelaysDoubleAfterTheFreeFailuresUpToTheCap() {
        var throttle = AuthFailureThrottle()
        let delays = (0..<9).map { throttle.recordFailure(from: "10.0.0.1", at: start + .seconds($0)) }
        XCTAssertEqual(delays, [.zero, .zero, .zero, .milliseconds(500), .seconds(1), .seconds(2), .seconds(4),
                                .seconds(5), .seconds(5)])
    }

    func testAddressesAreCountedSeparately() {
        var throttle = AuthFailureThrottle(policy: .init(freeFailures: 0, initialDelay: .seconds(1)))
        XCTAssertEqual(throttle.recordFailure(from: "a", at: start), .seconds(1))
        XCTAssertEqual(throttle.recordFailure(from: "a", at: start), .seconds(2))
        XCTAssertEqual(throttle.recordFailure(from: "b", at: start), .seconds(1))
    }

    func testAQuietWindowAndASuccessForgive() {
        var throttle = AuthFailureThrottle(policy: .init(freeFailures: 0, window: .seconds(60)))
        _ = throttle.recordFailure(from: "a", at: start)
        _ = throttle.recordFailure(from: "a", at: start + .seconds(30))
        XCTAssertEqual(throttle.pendingFailures(from: "a", at: start + .seconds(30)), 2)
        XCTAssertEqual(throttle.recordFailure(from: "a", at: start + .seconds(91)), .milliseconds(500),
                       "more than a window after the last failure starts over")
        _ = throttle.recordFailure(from: "a", at: start + .seconds(92))
        throttle.recordSuccess(from: "a")
        XCTAssertEqual(throttle.pendingFailures(from: "a", at: start + .seconds(92)), 0)
        XCTAssertEqual(throttle.recordFailure(from: "a", at: start + .seconds(93)), .milliseconds(500))
    }

    func testTheTableIsBoundedAndForgetsTheOldestAddress() {
        var throttle = AuthFailureThrottle(policy: .init(freeFailures: 0, maximumAddresses: 3))
        for (index, address) in ["a", "b", "c"].enumerated() {
            _ = throttle.recordFailure(from: address, at: start + .seconds(index))
        }
        // "a" fails again, so "b" is now the oldest.
        XCTAssertEqual(throttle.recordFailure(from: "a", at: start + .seconds(3)), .seconds(1))
        _ = throttle.recordFailure(from: "d", at: start + .seconds(4))
        XCTAssertEqual(throttle.trackedAddresses, 3)
        XCTAssertEqual(throttle.pendingFailures(from: "b", at: start + .seconds(4)), 0, "evicted")
        XCTAssertEqual(throttle.pendingFailures(from: "a", at: start + .seconds(4)), 2)
        XCTAssertEqual(throttle.pendingFailures(from: "c", at: start + .seconds(4)), 1)
    }

    func testManyAddressesAndRepeatedFailuresStayBounded() {
        var throttle = AuthFailureThrottle(policy: .init(maximumAddresses: 100))
        for index in 0..<5_000 {
            _ = throttle.recordFailure(from: "addr-\(index % 250)", at: start + .milliseconds(index))
            XCTAssertLessThanOrEqual(throttle.trackedAddresses, 100)
        }
        for _ in 0..<5_000 { _ = throttle.recordFailure(from: "one", at: start + .seconds(10)) }
        XCTAssertEqual(throttle.pendingFailures(from: "one", at: start + .seconds(10)), 5_000)
        XCTAssertLessThanOrEqual(throttle.trackedAddresses, 100)
    }
}
