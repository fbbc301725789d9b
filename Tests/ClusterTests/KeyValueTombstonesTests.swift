import NIOCore
import XCTest

@testable import Cluster

final class KeyValueTombstonesTests: XCTestCase {
    func testATombstoneExpiresAfterItsGraceAndOnlyOnce() {
        var tombstones = KeyValueTombstones(grace: .seconds(10))
        let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
        tombstones.add("a", revision: 4, at: start)
        tombstones.add("b", revision: 7, at: start + .seconds(3))
        XCTAssertEqual(tombstones.count, 2)
        XCTAssertTrue(tombstones.expire(at: start + .seconds(9)).isEmpty)
        let first = tombstones.expire(at: start + .seconds(10))
        XCTAssertEqual(first.map(\.key), ["a"])
        XCTAssertEqual(first.map(\.revision), [4])
        XCTAssertEqual(tombstones.count, 1)
        XCTAssertTrue(tombstones.expire(at: start + .seconds(12)).isEmpty)
        XCTAssertEqual(tombstones.expire(at: start + .seconds(60)).map(\.key), ["b"])
        XCTAssertEqual(tombstones.count, 0)
        XCTAssertTrue(tombstones.expire(at: start + .seconds(120)).isEmpty)
    }

    /// What a copy holds stays bounded by the deletions of one grace period, and nothing is
    /// lost or repeated when the consumed front is dropped from storage.
    func testManyDeletionsKeepOnlyThoseWithinTheGrace() {
        var tombstones = KeyValueTombstones(grace: .seconds(1))
        let start = NIODeadline.uptimeNanoseconds(0)
        var expired: [String] = []
        for index in 0..<10_000 {
            let now = start + .milliseconds(Int64(index))
            tombstones.add("k\(index)", revision: UInt64(index + 1), at: now)
            expired += tombstones.expire(at: now).map(\.key)
            XCTAssertLessThanOrEqual(tombstones.count, 1_001)
        }
        expired += tombstones.expire(at: start + .seconds(100)).map(\.key)
        XCTAssertEqual(expired, (0..<10_000).map { "k\($0)" })
        XCTAssertEqual(tombstones.count, 0)
    }

    func testAZeroGraceExpiresAtOnce() {
        var tombstones = KeyValueTombstones(grace: .zero)
        let now = NIODeadline.uptimeNanoseconds(5)
        tombstones.add("a", revision: 1, at: now)
        XCTAssertEqual(tombstones.expire(at: now).map(\.key), ["a"])
    }
}
