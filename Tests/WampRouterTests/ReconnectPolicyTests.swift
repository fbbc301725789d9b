@testable import WampClient
import XCTest

/// The backoff of `ReconnectPolicy`, on values.
final class ReconnectPolicyTests: XCTestCase {
    func testDelaysDoubleFromTheInitialOneUpToTheMaximum() {
        let policy = WampClient.ReconnectPolicy(maxAttempts: 8, initialDelay: .milliseconds(100), maxDelay: .milliseconds(700))
        let delays = (1...6).map { policy.delay(beforeAttempt: $0) }
        XCTAssertEqual(delays, [.milliseconds(100), .milliseconds(200), .milliseconds(400),
                                .milliseconds(700), .milliseconds(700), .milliseconds(700)])
    }

    func testOutOfRangeSettingsAreClamped() {
        let policy = WampClient.ReconnectPolicy(maxAttempts: 0, initialDelay: .milliseconds(-5), maxDelay: .milliseconds(-1))
        XCTAssertEqual(policy.maxAttempts, 1)
        XCTAssertEqual(policy.initialDelay, .zero)
        XCTAssertEqual(policy.maxDelay, .zero)
        XCTAssertEqual(policy.delay(beforeAttempt: 50), .zero)
        let capped = WampClient.ReconnectPolicy(initialDelay: .seconds(3), maxDelay: .seconds(1))
        XCTAssertEqual(capped.maxDelay, .seconds(3), "the maximum is never below the first wait")
    }
}
