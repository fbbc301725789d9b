import NIOCore
import NIOEmbedded
import XCTest

@testable import WebSocketIO

final class MessageRateLimiterTests: XCTestCase {
    func testBurstThenOneTokenPerInterval() {
        let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
        var limiter = MessageRateLimiter(rate: 4, now: start)
        XCTAssertNil(limiter.take(now: start))
        XCTAssertNil(limiter.take(now: start))
        XCTAssertNil(limiter.take(now: start))
        XCTAssertEqual(limiter.take(now: start), .milliseconds(250), "burst of 4 spent: wait for one token")
        XCTAssertEqual(limiter.take(now: start + .milliseconds(250)), .milliseconds(250))
        XCTAssertEqual(limiter.take(now: start + .milliseconds(400)), .milliseconds(350), "early: the wait is the rest plus one token")
    }

    func testIdleRefillsAtMostTheBurst() {
        let start = NIODeadline.uptimeNanoseconds(0)
        var limiter = MessageRateLimiter(rate: 2, now: start)
        _ = limiter.take(now: start)
        _ = limiter.take(now: start)
        let later = start + .seconds(3600)
        XCTAssertNil(limiter.take(now: later))
        XCTAssertEqual(limiter.take(now: later), .milliseconds(500), "an hour idle still buys only the burst")
    }

    func testServerReadsLessFromAPeerOverTheRateAndLosesNothing() throws {
        var configuration = WebSocketServerConfiguration()
        configuration.maxMessageRate = 2
        let server = try EmbeddedServer(configuration: configuration)
        try server.upgrade()
        let pausesBefore = WebSocketMetrics.ratePauses
        var bytes = ByteBuffer()
        for index in 0..<5 {
            var frame = TestBytes.clientFrame(opcode: 0x1, text: "m\(index)")
            bytes.writeBuffer(&frame)
        }
        try server.write(bytes)
        XCTAssertEqual(server.recorder.texts, ["m0", "m1"], "the burst")
        XCTAssertEqual(WebSocketMetrics.ratePauses, pausesBefore + 1)
        server.channel.embeddedEventLoop.advanceTime(by: .milliseconds(499))
        XCTAssertEqual(server.recorder.texts.count, 2)
        server.channel.embeddedEventLoop.advanceTime(by: .milliseconds(1))
        XCTAssertEqual(server.recorder.texts, ["m0", "m1", "m2"])
        server.channel.embeddedEventLoop.advanceTime(by: .milliseconds(1000))
        XCTAssertEqual(server.recorder.texts, ["m0", "m1", "m2", "m3", "m4"])
        XCTAssertTrue(server.channel.isActive)
    }
}
