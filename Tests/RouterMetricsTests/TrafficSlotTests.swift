import Foundation
import NIOCore
@testable import RouterMetrics
import Synchronization
import WampMessages
import XCTest

/// The per-thread counters and their sum at scrape: nothing lost across threads, nothing lost
/// when a thread exits, and the bucket and URI tables as the exposition labels them.
final class TrafficSlotTests: XCTestCase {
    func testCountsFromManyThreadsAddUpAndOutliveTheirThreads() throws {
        let before = TrafficTotals.now()
        let liveBefore = TrafficSlots.shared.liveThreadCount
        let threads = 4
        let perThread = 10_000
        let done = DispatchGroup()
        for _ in 0..<threads {
            done.enter()
            let thread = Thread {
                let slot = TrafficSlot.current
                for _ in 0..<perThread { Traffic.received(.unsubscribe, bytes: 3, slot: slot) }
                Traffic.timedOut(.goodbyeReply)
                done.leave()
            }
            thread.start()
        }
        XCTAssertEqual(done.wait(timeout: .now() + 30), .success)
        // The threads fold their counters into the retired totals as they exit.
        let deadline = Date().addingTimeInterval(10)
        while TrafficSlots.shared.liveThreadCount > liveBefore, Date() < deadline { usleep(10_000) }
        XCTAssertLessThanOrEqual(TrafficSlots.shared.liveThreadCount, liveBefore, "exited threads keep no block")
        let after = TrafficTotals.now()
        XCTAssertEqual(after.received(.unsubscribe) - before.received(.unsubscribe), threads * perThread)
        XCTAssertEqual(after.bytesReceived - before.bytesReceived, threads * perThread * 3)
        XCTAssertEqual(after.timeouts(.goodbyeReply) - before.timeouts(.goodbyeReply), threads)
    }

    func testSlotIsPerThreadAndStable() {
        let first = TrafficSlot.current
        XCTAssertEqual(first.base, TrafficSlot.current.base)
        let other = DispatchGroup()
        other.enter()
        nonisolated(unsafe) var otherBase: UnsafeMutablePointer<Atomic<Int>>?
        let thread = Thread {
            otherBase = TrafficSlot.current.base
            other.leave()
        }
        thread.start()
        XCTAssertEqual(other.wait(timeout: .now() + 10), .success)
        XCTAssertNotEqual(otherBase, first.base)
        XCTAssertEqual(Int(bitPattern: first.base) % 64, 0, "blocks start on a cache line")
        XCTAssertEqual(TrafficLayout.slotCount % 8, 0, "blocks fill whole cache lines")
    }

    func testHistogramRecordingLandsInTheBucketWhoseBoundIsNotBelowTheValue() {
        let layout = HistogramLayout.fanOut
        XCTAssertEqual(layout.bucket(of: 0), 0)
        XCTAssertEqual(layout.bucket(of: 1), 1)
        XCTAssertEqual(layout.bucket(of: 3), 3, "3 is in le=5")
        XCTAssertEqual(layout.bucket(of: 10_000), layout.bounds.count - 1)
        XCTAssertEqual(layout.bucket(of: 10_001), layout.bounds.count, "+Inf")

        let before = TrafficTotals.now().fanOut
        Traffic.published(receivers: 7)
        Traffic.published(receivers: 7)
        Traffic.published(receivers: 20_000)
        let after = TrafficTotals.now().fanOut
        XCTAssertEqual(after.count - before.count, 3)
        XCTAssertEqual(after.sum - before.sum, 20_014)
        XCTAssertEqual(after.buckets[layout.bucket(of: 7)] - before.buckets[layout.bucket(of: 7)], 2)
        XCTAssertEqual(after.buckets[layout.bounds.count] - before.buckets[layout.bounds.count], 1)
    }

    func testCallDurationIsMeasuredFromTheCallsStart() {
        let before = TrafficTotals.now().callDuration
        Traffic.callAnswered(startedAt: MonotonicClock.nanoseconds() - 30_000_000)
        let after = TrafficTotals.now().callDuration
        XCTAssertEqual(after.count - before.count, 1)
        XCTAssertGreaterThanOrEqual(after.sum - before.sum, 30_000_000)
        // 30 ms is above the 25 ms bound and at most 50 ms.
        let bucket = HistogramLayout.callDuration.bucket(of: after.sum - before.sum)
        XCTAssertEqual(HistogramLayout.callDuration.bounds[bucket], 50_000_000)
        XCTAssertEqual(after.buckets[bucket] - before.buckets[bucket], 1)
    }

    func testErrorURILabelsAreBounded() {
        XCTAssertEqual(ReasonURI.labels[ReasonURI.index(of: "wamp.error.no_such_procedure")], "wamp.error.no_such_procedure")
        XCTAssertEqual(ReasonURI.labels[ReasonURI.index(of: "router.error.limit_exceeded")], "router.error.limit_exceeded")
        XCTAssertEqual(ReasonURI.labels[ReasonURI.index(of: "com.example.my_app_error")], "other")
        XCTAssertEqual(ReasonURI.labels[ReasonURI.index(of: "")], "other")
        XCTAssertEqual(Set(ReasonURI.labels).count, ReasonURI.labels.count, "no label twice")

        let before = TrafficTotals.now()
        for index in 0..<1000 { Traffic.errorSent(uri: "com.example.error\(index)") }
        Traffic.errorSent(uri: "wamp.error.canceled")
        let after = TrafficTotals.now()
        let other = ReasonURI.labels.count - 1
        XCTAssertEqual(after.errors(labelIndex: other) - before.errors(labelIndex: other), 1000)
        let canceled = ReasonURI.index(of: "wamp.error.canceled")
        XCTAssertEqual(after.errors(labelIndex: canceled) - before.errors(labelIndex: canceled), 1)
    }
}
