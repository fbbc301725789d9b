import XCTest
import Realm
import WampMessages

final class BrokerTests: XCTestCase {
    private var realm: Realm!

    override func setUp() {
        realm = Realm(name: "realm1")
    }

    private func subscribe(_ session: RealmSession, _ peer: FakePeer, _ topic: String, request: WampID = 1) -> WampID? {
        realm.broker.subscribe(Subscribe(request: request, options: options(), topic: topic), from: session)
        guard case .subscribed(let subscribed) = peer.last else { return nil }
        XCTAssertEqual(subscribed.request, request)
        return subscribed.subscription
    }

    func testSubscribersOfATopicShareOneSubscriptionIDAndResubscribingReturnsIt() throws {
        let (a, peerA) = realm.joinFake(1)
        let (b, peerB) = realm.joinFake(2)
        let first = try XCTUnwrap(subscribe(a, peerA, "com.example.tick"))
        let second = try XCTUnwrap(subscribe(b, peerB, "com.example.tick"))
        let again = try XCTUnwrap(subscribe(a, peerA, "com.example.tick", request: 2))
        XCTAssertEqual(first, second)
        XCTAssertEqual(first, again)
        XCTAssertEqual(realm.broker.subscriptionCount, 1)
        XCTAssertNotEqual(try XCTUnwrap(subscribe(a, peerA, "com.example.other", request: 3)), first)
    }

    func testPublishDeliversToEverySubscriberButThePublisherByDefault() throws {
        let (publisher, publisherPeer) = realm.joinFake(1)
        let (s1, p1) = realm.joinFake(2)
        let (s2, p2) = realm.joinFake(3)
        _ = subscribe(publisher, publisherPeer, "t")
        let subscription = try XCTUnwrap(subscribe(s1, p1, "t"))
        _ = subscribe(s2, p2, "t")
        publisherPeer.clear(); p1.clear(); p2.clear()

        realm.broker.publish(Publish(request: 9, options: options(), topic: "t", payload: Payload(arguments: RawJSON("[1, 2.50]"))), from: publisher)

        XCTAssertTrue(publisherPeer.messages.isEmpty, "publisher excluded by default, no PUBLISHED without acknowledge")
        for peer in [p1, p2] {
            guard case .event(let event) = peer.last else { return XCTFail("no EVENT") }
            XCTAssertEqual(event.subscription, subscription)
            XCTAssertEqual(event.payload.arguments?.description, "[1, 2.50]")
            XCTAssertTrue(WampIDRange.contains(Int64(event.publication)))
        }
        XCTAssertEqual(p1.texts, p2.texts)
    }

    func testOneEncodingIsSharedByAllSubscribers() {
        let (publisher, _) = realm.joinFake(1)
        var peers: [FakePeer] = []
        for id in 2...5 as ClosedRange<WampID> {
            let (session, peer) = realm.joinFake(id)
            _ = subscribe(session, peer, "t")
            peer.clear()
            peers.append(peer)
        }
        realm.broker.publish(Publish(request: 1, options: options(), topic: "t", payload: Payload(arguments: RawJSON("[1]"))), from: publisher)
        let storage = peers.map { peer in peer.buffers[0].withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) } }
        XCTAssertEqual(Set(storage).count, 1, "every subscriber got the very same bytes")
        let caches = peers.map { $0.transportCaches[0].map(ObjectIdentifier.init) }
        XCTAssertNotNil(caches[0], "a fan-out EVENT carries a cache so the transport frames it once")
        XCTAssertEqual(Set(caches).count, 1, "and all subscribers share it")
    }

    func testExcludeMeFalseDeliversToThePublisherAndAcknowledgeAnswersPublished() throws {
        let (publisher, peer) = realm.joinFake(1)
        let subscription = try XCTUnwrap(subscribe(publisher, peer, "t"))
        peer.clear()
        realm.broker.publish(Publish(request: 4, options: options(#"{"exclude_me":false,"acknowledge":true}"#), topic: "t"), from: publisher)
        let messages = peer.messages
        XCTAssertEqual(messages.count, 2)
        guard case .event(let event) = messages[0], case .published(let published) = messages[1] else {
            return XCTFail("expected EVENT then PUBLISHED, got \(peer.texts)")
        }
        XCTAssertEqual(event.subscription, subscription)
        XCTAssertEqual(published.request, 4)
        XCTAssertEqual(published.publication, event.publication)
    }

    func testInvalidOrReservedTopicsAreRefusedWithInvalidURIWhenAcknowledged() {
        let (session, peer) = realm.joinFake(1)
        for topic in ["a..b", "wamp.session.on_join", "has space"] {
            peer.clear()
            let refusal = realm.broker.publish(Publish(request: 3, options: options(#"{"acknowledge":true}"#), topic: topic), from: session)
            XCTAssertNotNil(refusal)
            guard case .error(let error) = peer.last else { return XCTFail(topic) }
            XCTAssertEqual(error.error, "wamp.error.invalid_uri")
            XCTAssertEqual(error.requestType, .publish)
            XCTAssertEqual(error.request, 3)
        }
        peer.clear()
        XCTAssertNotNil(realm.broker.publish(Publish(request: 4, options: options(), topic: "a..b"), from: session))
        XCTAssertTrue(peer.messages.isEmpty, "an unacknowledged publication gets no answer; the caller logs the refusal")
        realm.broker.subscribe(Subscribe(request: 5, options: options(), topic: "bad topic"), from: session)
        guard case .error(let error) = peer.last else { return XCTFail() }
        XCTAssertEqual(error.error, "wamp.error.invalid_uri")
        XCTAssertEqual(error.requestType, .subscribe)
    }

    func testUnsubscribeStopsEventsAndUnknownSubscriptionIsAnError() throws {
        let (publisher, _) = realm.joinFake(1)
        let (subscriber, peer) = realm.joinFake(2)
        let subscription = try XCTUnwrap(subscribe(subscriber, peer, "t"))
        realm.broker.unsubscribe(Unsubscribe(request: 2, subscription: subscription), from: subscriber)
        guard case .unsubscribed(let unsubscribed) = peer.last else { return XCTFail() }
        XCTAssertEqual(unsubscribed.request, 2)
        peer.clear()
        realm.broker.publish(Publish(request: 1, options: options(), topic: "t"), from: publisher)
        XCTAssertTrue(peer.messages.isEmpty)
        XCTAssertEqual(realm.broker.subscriptionCount, 0)
        realm.broker.unsubscribe(Unsubscribe(request: 3, subscription: subscription), from: subscriber)
        guard case .error(let error) = peer.last else { return XCTFail() }
        XCTAssertEqual(error.error, "wamp.error.no_such_subscription")
        XCTAssertEqual(error.requestType, .unsubscribe)
    }

    func testASessionCannotUnsubscribeSomeoneElse() throws {
        let (a, peerA) = realm.joinFake(1)
        let (b, peerB) = realm.joinFake(2)
        let subscription = try XCTUnwrap(subscribe(a, peerA, "t"))
        realm.broker.unsubscribe(Unsubscribe(request: 1, subscription: subscription), from: b)
        guard case .error(let error) = peerB.last else { return XCTFail() }
        XCTAssertEqual(error.error, "wamp.error.no_such_subscription")
        XCTAssertEqual(realm.broker.subscriptionCount, 1)
    }

    func testLeavingRemovesSubscriptions() throws {
        let (a, peerA) = realm.joinFake(1)
        let (publisher, _) = realm.joinFake(2)
        _ = subscribe(a, peerA, "t")
        _ = subscribe(a, peerA, "u", request: 2)
        realm.leave(a)
        XCTAssertEqual(realm.broker.subscriptionCount, 0)
        peerA.clear()
        realm.broker.publish(Publish(request: 1, options: options(), topic: "t"), from: publisher)
        XCTAssertTrue(peerA.messages.isEmpty)
    }

    func testPatternSubscriptionsAreAcceptedAndUnknownMatchPoliciesRefused() throws {
        let (session, peer) = realm.joinFake(1)
        realm.broker.subscribe(Subscribe(request: 1, options: options(#"{"match":"prefix"}"#), topic: "com"), from: session)
        guard case .subscribed = peer.last else { return XCTFail("prefix subscription refused: \(peer.texts)") }
        realm.broker.subscribe(Subscribe(request: 2, options: options(#"{"match":"wildcard"}"#), topic: "com..b"), from: session)
        guard case .subscribed = peer.last else { return XCTFail("wildcard subscription refused: \(peer.texts)") }
        realm.broker.subscribe(Subscribe(request: 3, options: options(#"{"match":"fuzzy"}"#), topic: "com"), from: session)
        guard case .error(let error) = peer.last else { return XCTFail() }
        XCTAssertEqual(error.error, "wamp.error.invalid_argument")
        XCTAssertEqual(error.request, 3)
    }

    func testEventsArriveInPublishOrder() throws {
        let (publisher, _) = realm.joinFake(1)
        let (subscriber, peer) = realm.joinFake(2)
        _ = subscribe(subscriber, peer, "t")
        peer.clear()
        for i in 0..<1000 {
            realm.broker.publish(Publish(request: WampID(i + 1), options: options(), topic: "t", payload: Payload(arguments: RawJSON("[\(i)]"))), from: publisher)
        }
        let received = peer.messages.compactMap { message -> String? in
            guard case .event(let event) = message else { return nil }
            return event.payload.arguments?.description
        }
        XCTAssertEqual(received, (0..<1000).map { "[\($0)]" })
    }
}
