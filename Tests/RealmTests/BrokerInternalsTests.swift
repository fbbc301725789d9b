import Dispatch
import XCTest
@testable import Realm
import WampMessages

final class BrokerInternalsTests: XCTestCase {
    func testTimestampsAreISO8601UTCWithMilliseconds() {
        XCTAssertEqual(UTCTimestamp.format(millisecondsSince1970: 0), "1970-01-01T00:00:00.000Z")
        XCTAssertEqual(UTCTimestamp.format(millisecondsSince1970: 951868799007), "2000-02-29T23:59:59.007Z")
        XCTAssertEqual(UTCTimestamp.format(millisecondsSince1970: 1795599600123), "2026-11-25T09:40:00.123Z")
        XCTAssertEqual(UTCTimestamp.format(millisecondsSince1970: -1), "1969-12-31T23:59:59.999Z")
        XCTAssertEqual(UTCTimestamp.format(millisecondsSince1970: 4107585600000), "2100-03-01T12:00:00.000Z")
        XCTAssertEqual(Timestamp.now().count, 24)
    }

    func testHistoryRingKeepsTheLastN() {
        var ring = EventHistory.Log(limit: 3)
        for i in 1...7 as ClosedRange<UInt64> {
            ring.append(EventRecord(sequence: i, publication: i, topic: "t", timestamp: "", payload: .empty,
                                    details: EventDetails(), filter: nil, publisher: nil, excludeMe: true))
            XCTAssertEqual(ring.ordered.map(\.sequence), Array((i > 2 ? i - 2 : 1)...i))
        }
        XCTAssertEqual(ring.count, 3)
    }

    func testConcurrentSubscribePublishAndLeaveKeepStateConsistent() {
        let realm = Realm(name: "r")
        let broker = realm.broker
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            for round in 0..<200 {
                let id = WampID(worker * 1000 + round + 1)
                let session = RealmSession(id: id, peer: FakePeer(), authid: "a")
                realm.join(session)
                let match = ["exact", "prefix", "wildcard"][round % 3]
                let topic = match == "wildcard" ? "com..t\(round % 5)" : "com.x.t\(round % 5)"
                broker.subscribe(Subscribe(request: 1, options: options(#"{"match":"\#(match)","get_retained":true}"#),
                                           topic: topic), from: session)
                broker.publish(Publish(request: 2, options: options(#"{"retain":true,"exclude_me":false}"#),
                                       topic: "com.x.t\(round % 5)"), from: session)
                realm.leave(session)
            }
        }
        XCTAssertEqual(broker.subscriptionCount, 0)
        let lists = broker.subscriptionLists()
        XCTAssertTrue(lists.exact.isEmpty && lists.prefix.isEmpty && lists.wildcard.isEmpty)
    }
}
