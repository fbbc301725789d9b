import Synchronization
import WampClient
import WampMessages
import XCTest

/// Publish/subscribe through a real router over loopback WebSockets.
final class EndToEndPubSubTests: RouterTestCase {
    private final class Inbox: Sendable {
        private let events = Mutex<[Event]>([])
        func append(_ event: Event) { events.withLock { $0.append(event) } }
        var all: [Event] { events.withLock { $0 } }

        func wait(for count: Int, seconds: Double = 10) async throws -> [Event] {
            let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
            while all.count < count, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
            return all
        }
    }

    func testSubscriberReceivesWhatAnotherSessionPublishes() async throws {
        let subscriber = try await client()
        let publisher = try await client()
        let inbox = Inbox()
        let subscription = try await subscriber.subscribe("com.example.tick") { inbox.append($0) }
        let publication = try await publisher.publish("com.example.tick", arguments: raw(#"[1, "two", {"three": 3.0}]"#),
                                                      argumentsKw: raw(#"{"k": null}"#), acknowledge: true)
        let events = try await inbox.wait(for: 1)
        XCTAssertEqual(events.count, 1)
        XCTAssertEqual(events.first?.subscription, subscription)
        XCTAssertEqual(events.first?.publication, publication)
        XCTAssertEqual(events.first?.payload.arguments?.description, #"[1, "two", {"three": 3.0}]"#)
        XCTAssertEqual(events.first?.payload.argumentsKw?.description, #"{"k": null}"#)
    }

    func testPublisherIsExcludedUnlessExcludeMeIsFalse() async throws {
        let session = try await client()
        let inbox = Inbox()
        _ = try await session.subscribe("com.example.self") { inbox.append($0) }
        _ = try await session.publish("com.example.self", arguments: raw("[1]"), acknowledge: true)
        _ = try await session.publish("com.example.self", arguments: raw("[2]"), acknowledge: true, excludeMe: false)
        let events = try await inbox.wait(for: 1)
        try await Task.sleep(for: .milliseconds(100))
        XCTAssertEqual(inbox.all.map { $0.payload.arguments?.description }, ["[2]"])
        XCTAssertEqual(events.count, 1)
    }

    func testUnsubscribeStopsEvents() async throws {
        let subscriber = try await client()
        let publisher = try await client()
        let inbox = Inbox()
        let subscription = try await subscriber.subscribe("com.example.tick") { inbox.append($0) }
        _ = try await publisher.publish("com.example.tick", arguments: raw("[1]"), acknowledge: true)
        _ = try await inbox.wait(for: 1)
        try await subscriber.unsubscribe(subscription)
        _ = try await publisher.publish("com.example.tick", arguments: raw("[2]"), acknowledge: true)
        // A round trip through the subscriber's own session orders after any EVENT in flight.
        _ = try await subscriber.publish("com.example.flush", acknowledge: true)
        XCTAssertEqual(inbox.all.count, 1)
        await assertError("wamp.error.no_such_subscription") { try await subscriber.unsubscribe(subscription) }
    }

    func testThousandEventsArriveInPublishOrder() async throws {
        let subscriber = try await client()
        let publisher = try await client()
        let inbox = Inbox()
        _ = try await subscriber.subscribe("com.example.sequence") { inbox.append($0) }
        for i in 0..<1000 {
            try await publisher.publish("com.example.sequence", arguments: raw("[\(i)]"))
        }
        let events = try await inbox.wait(for: 1000)
        XCTAssertEqual(events.map { $0.payload.arguments!.description }, (0..<1000).map { "[\($0)]" })
    }

    func testEverySubscriberGetsTheEvent() async throws {
        let publisher = try await client()
        var inboxes: [Inbox] = []
        var subscribers: [WampClient] = []
        for _ in 0..<20 {
            let subscriber = try await client()
            let inbox = Inbox()
            _ = try await subscriber.subscribe("com.example.fanout") { inbox.append($0) }
            inboxes.append(inbox)
            subscribers.append(subscriber)
        }
        _ = try await publisher.publish("com.example.fanout", arguments: raw("[42]"), acknowledge: true)
        for inbox in inboxes {
            let events = try await inbox.wait(for: 1)
            XCTAssertEqual(events.map { $0.payload.arguments!.description }, ["[42]"])
        }
        XCTAssertEqual(subscribers.count, 20)
    }

    func testInvalidAndReservedTopicsAreRefusedWhenAcknowledged() async throws {
        let session = try await client()
        await assertError("wamp.error.invalid_uri") { _ = try await session.publish("com..bad", acknowledge: true) }
        await assertError("wamp.error.invalid_uri") { _ = try await session.publish("wamp.session.on_join", acknowledge: true) }
        await assertError("wamp.error.invalid_uri") { _ = try await session.subscribe("bad topic") { _ in } }
        let publication = try await session.publish("com.example.fine", acknowledge: true)
        XCTAssertNotNil(publication)
    }

    func testSubscriberLeavingIsRemoved() async throws {
        let subscriber = try await client()
        let publisher = try await client()
        _ = try await subscriber.subscribe("com.example.gone") { _ in }
        subscriber.disconnect()
        await subscriber.waitUntilClosed()
        let deadline = ContinuousClock.now + .seconds(5)
        while router.realms.realm(named: "realm1")!.broker.subscriptionCount > 0, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        XCTAssertEqual(router.realms.realm(named: "realm1")!.broker.subscriptionCount, 0)
        let publication = try await publisher.publish("com.example.gone", acknowledge: true)
        XCTAssertNotNil(publication)
    }
}
