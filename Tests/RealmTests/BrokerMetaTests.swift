import XCTest
import Realm
import WampMessages

/// Subscription meta events, `publishMeta` and the data behind the `wamp.subscription.*` procedures.
final class BrokerMetaTests: BrokerTestCase {
    /// (meta topic, arguments) of the events `peer` received.
    private func metaEvents(_ peer: FakePeer) -> [(String, String)] {
        events(peer).map { event in
            (event.details.string("topic") ?? "?", event.payload.arguments?.description ?? "")
        }
    }

    func testMetaEventsFireInSpecOrderForSubscribeUnsubscribeAndLeave() throws {
        let (observer, observerPeer) = join(100)
        subscribe(observer, observerPeer, "wamp.subscription.on_", #"{"match":"prefix"}"#)
        let (a, peerA) = join(1)
        let (b, peerB) = join(2)
        observerPeer.clear()

        let subscription = try XCTUnwrap(subscribe(a, peerA, "com.t"))
        subscribe(b, peerB, "com.t")
        subscribe(a, peerA, "com.t", request: 2)  // already subscribed: no event
        let info = try XCTUnwrap(broker.info(subscription))
        var received = metaEvents(observerPeer)
        XCTAssertEqual(received.map(\.0), ["wamp.subscription.on_create", "wamp.subscription.on_subscribe",
                                           "wamp.subscription.on_subscribe"])
        XCTAssertEqual(received[0].1, #"[1,{"id":\#(subscription),"created":"\#(info.created)","uri":"com.t","match":"exact"}]"#)
        XCTAssertEqual(received[1].1, "[1,\(subscription)]")
        XCTAssertEqual(received[2].1, "[2,\(subscription)]")

        observerPeer.clear()
        broker.unsubscribe(Unsubscribe(request: 3, subscription: subscription), from: b)
        realm.leave(a)
        received = metaEvents(observerPeer)
        XCTAssertEqual(received.map(\.0), ["wamp.subscription.on_unsubscribe", "wamp.subscription.on_unsubscribe",
                                           "wamp.subscription.on_delete"])
        XCTAssertEqual(received.map(\.1), ["[2,\(subscription)]", "[1,\(subscription)]", "[1,\(subscription)]"])
    }

    func testMetaEventsReachExactSubscribersWithoutTopicDetail() throws {
        let (observer, observerPeer) = join(100)
        let onCreate = try XCTUnwrap(subscribe(observer, observerPeer, "wamp.subscription.on_create"))
        XCTAssertEqual(events(observerPeer).count, 1, "the observer sees the creation of its own subscription")
        observerPeer.clear()
        let (a, peerA) = join(1)
        subscribe(a, peerA, "com.x", #"{"match":"wildcard"}"#)
        let event = try XCTUnwrap(events(observerPeer).first)
        XCTAssertEqual(event.subscription, onCreate)
        XCTAssertEqual(keys(event.details), [:])
        let details = try XCTUnwrap(event.payload.arguments?.parsed()?.arrayElements?.last)
        XCTAssertEqual(details.string("match"), "wildcard")
        XCTAssertEqual(details.string("uri"), "com.x")
    }

    func testRevocationAndLeavingFireUnsubscribeThenDelete() throws {
        let (observer, observerPeer) = join(100)
        subscribe(observer, observerPeer, "wamp.subscription.", #"{"match":"wildcard"}"#)
        let (a, peerA) = join(1)
        let subscription = try XCTUnwrap(subscribe(a, peerA, "com.t"))
        observerPeer.clear()
        broker.removeSubscriber(1, from: subscription, reason: "bye")
        XCTAssertEqual(metaEvents(observerPeer).map(\.0), ["wamp.subscription.on_unsubscribe", "wamp.subscription.on_delete"])
    }

    func testPublishMetaBuildsArgumentsOnlyWhenSomeoneListens() throws {
        nonisolated(unsafe) var built = 0
        func arguments() -> RawJSON { built += 1; return RawJSON("[1]")! }
        broker.publishMeta(topic: "wamp.session.on_join", arguments: arguments())
        XCTAssertEqual(built, 0)

        let (observer, peer) = join(5)
        let exact = try XCTUnwrap(subscribe(observer, peer, "wamp.session.on_join"))
        let prefix = try XCTUnwrap(subscribe(observer, peer, "wamp.session", #"{"match":"prefix"}"#))
        peer.clear()
        broker.publishMeta(topic: "wamp.session.on_join", arguments: arguments(), argumentsKw: RawJSON(#"{"k":1}"#))
        XCTAssertEqual(built, 1, "built once for all subscriptions")
        let received = events(peer)
        XCTAssertEqual(received.map(\.subscription), [exact, prefix])
        XCTAssertEqual(keys(received[1].details), ["topic": "\"wamp.session.on_join\""])
        XCTAssertTrue(received.allSatisfy { $0.payload.argumentsKw?.description == #"{"k":1}"# })
        XCTAssertEqual(received[0].publication, received[1].publication)
        broker.publishMeta(topic: "wamp.session.on_leave", arguments: arguments())
        XCTAssertEqual(events(peer).count, 3, "the prefix subscription still matches")
    }

    func testSubscriptionListsLookupMatchInfoAndSubscribers() throws {
        let (a, peerA) = join(1)
        let (b, peerB) = join(2)
        let exact = try XCTUnwrap(subscribe(a, peerA, "com.a.b"))
        let prefix = try XCTUnwrap(subscribe(a, peerA, "com.a", #"{"match":"prefix"}"#))
        let wildcard = try XCTUnwrap(subscribe(b, peerB, "com..b", #"{"match":"wildcard"}"#))
        subscribe(b, peerB, "com.a.b")
        let lists = broker.subscriptionLists()
        XCTAssertEqual(lists.exact, [exact])
        XCTAssertEqual(lists.prefix, [prefix])
        XCTAssertEqual(lists.wildcard, [wildcard])
        XCTAssertEqual(broker.lookup(topic: "com.a", match: .prefix), prefix)
        XCTAssertNil(broker.lookup(topic: "com.a", match: .exact))
        XCTAssertEqual(broker.lookup(topic: "com.a.b", match: .exact), exact)
        XCTAssertEqual(Set(broker.matchingSubscriptions(topic: "com.a.b")), [exact, prefix, wildcard])
        XCTAssertEqual(broker.matchingSubscriptions(topic: "com.a.b").first, exact)
        XCTAssertEqual(broker.matchingSubscriptions(topic: "org.x"), [])
        let info = try XCTUnwrap(broker.info(wildcard))
        XCTAssertEqual(info.topic, "com..b")
        XCTAssertEqual(info.match, .wildcard)
        XCTAssertEqual(info.subscribers, [2])
        XCTAssertTrue(info.created.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"#, options: .regularExpression) != nil, info.created)
        XCTAssertEqual(Set(try XCTUnwrap(broker.subscribers(of: exact))), [1, 2])
        XCTAssertNil(broker.subscribers(of: 12345))
        XCTAssertNil(broker.info(12345))
    }
}
