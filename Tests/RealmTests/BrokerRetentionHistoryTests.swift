import XCTest
import Realm
import WampMessages

/// Event retention and event history.
final class BrokerRetentionHistoryTests: BrokerTestCase {
    // MARK: event_retention

    func testLateSubscriberAskingForRetainedGetsTheLatestRetainedEvent() throws {
        let (publisher, _) = join(1, authid: "sensor")
        publish(publisher, "com.temp", #"{"retain":true}"#, args: "[20]")
        publish(publisher, "com.temp", #"{"retain":true,"disclose_me":true}"#, args: "[21]")
        publish(publisher, "com.temp", "{}", args: "[22]")  // not retained: the retained one stays [21]

        let (late, peer) = join(2)
        let subscription = try XCTUnwrap(subscribe(late, peer, "com.temp", #"{"get_retained":true}"#))
        let messages = peer.messages
        XCTAssertEqual(messages.count, 2)
        guard case .subscribed? = messages.first, case .event(let event)? = messages.last else {
            return XCTFail("SUBSCRIBED then EVENT expected: \(peer.texts)")
        }
        XCTAssertEqual(event.subscription, subscription)
        XCTAssertEqual(event.payload.arguments?.description, "[21]")
        XCTAssertEqual(keys(event.details), ["retained": "true", "publisher": "1",
                                             "publisher_authid": "\"sensor\"", "publisher_authrole": "\"anonymous\""])

        let (other, otherPeer) = join(3)
        subscribe(other, otherPeer, "com.temp")
        XCTAssertEqual(otherPeer.messages.count, 1, "no retained event without get_retained")
    }

    func testPatternSubscriberGetsEveryMatchingRetainedTopicWithTopicDetail() throws {
        let (publisher, _) = join(1)
        publish(publisher, "com.room.a.temp", #"{"retain":true}"#, args: "[1]")
        publish(publisher, "com.room.b.temp", #"{"retain":true}"#, args: "[2]")
        publish(publisher, "com.room.a.humidity", #"{"retain":true}"#, args: "[3]")
        publish(publisher, "com.room.a.temp", #"{"retain":true}"#, args: "[4]")

        let (subscriber, peer) = join(2)
        subscribe(subscriber, peer, "com.room..temp", #"{"match":"wildcard","get_retained":true}"#)
        let received = events(peer)
        XCTAssertEqual(received.map { $0.payload.arguments?.description }, ["[2]", "[4]"], "in publication order")
        XCTAssertEqual(received.map { keys($0.details) }, [
            ["retained": "true", "topic": "\"com.room.b.temp\""],
            ["retained": "true", "topic": "\"com.room.a.temp\""],
        ])
        let (prefixSubscriber, prefixPeer) = join(3)
        subscribe(prefixSubscriber, prefixPeer, "com.room.a", #"{"match":"prefix","get_retained":true}"#)
        XCTAssertEqual(events(prefixPeer).map { $0.payload.arguments?.description }, ["[3]", "[4]"])
    }

    func testRetainedEventRespectsItsBlackWhiteListAndPublisherExclusion() {
        let (publisher, publisherPeer) = join(1)
        publish(publisher, "com.t", #"{"retain":true,"eligible_authrole":["admin"]}"#)
        let (user, userPeer) = join(2, authrole: "user")
        let (admin, adminPeer) = join(3, authrole: "admin")
        subscribe(user, userPeer, "com.t", #"{"get_retained":true}"#)
        subscribe(admin, adminPeer, "com.t", #"{"get_retained":true}"#)
        XCTAssertTrue(events(userPeer).isEmpty)
        XCTAssertEqual(events(adminPeer).count, 1)

        publish(publisher, "com.u", #"{"retain":true}"#)
        subscribe(publisher, publisherPeer, "com.u", #"{"get_retained":true}"#)
        XCTAssertTrue(events(publisherPeer).isEmpty, "the publisher would not have received it (exclude_me)")
        publish(publisher, "com.v", #"{"retain":true,"exclude_me":false}"#)
        subscribe(publisher, publisherPeer, "com.v", #"{"get_retained":true}"#)
        XCTAssertEqual(events(publisherPeer).count, 1)
    }

    // MARK: event_history


    private func makeBroker(_ rules: [(prefix: String, limit: Int)]) -> Broker {
        Broker(uris: URIValidator(), eventHistory: rules)
    }

    func testHistoryKeepsTheLastNEventsPerTopicInPublicationOrder() throws {
        let broker = makeBroker([(prefix: "com.log", limit: 3), (prefix: "com.log.audit", limit: 5)])
        let (publisher, _) = RealmSession.make(1)
        let (subscriber, peer) = RealmSession.make(2)
        broker.subscribe(Subscribe(request: 1, options: options(), topic: "com.log.auth"), from: subscriber)
        guard case .subscribed(let subscribed)? = peer.last else { return XCTFail() }
        for i in 1...6 {
            broker.publish(Publish(request: WampID(i), options: options(), topic: "com.log.auth",
                                   payload: Payload(arguments: RawJSON("[\(i)]"))), from: publisher)
            broker.publish(Publish(request: WampID(i), options: options(), topic: "com.log.audit.x",
                                   payload: Payload(arguments: RawJSON("[\(i)]"))), from: publisher)
            broker.publish(Publish(request: WampID(i), options: options(), topic: "com.other",
                                   payload: Payload(arguments: RawJSON("[\(i)]"))), from: publisher)
        }
        let stored = try XCTUnwrap(broker.history(subscription: subscribed.subscription, limit: nil))
        XCTAssertEqual(stored.map { $0.payload.arguments?.description }, ["[4]", "[5]", "[6]"])
        let delivered = events(peer).suffix(3)
        XCTAssertEqual(stored.map(\.publication), delivered.map(\.publication))
        XCTAssertTrue(stored.allSatisfy { $0.subscription == subscribed.subscription && $0.topic == "com.log.auth" })
        XCTAssertTrue(stored.allSatisfy { keys($0.details).isEmpty })
        XCTAssertTrue(stored.allSatisfy { $0.timestamp.count == 24 && $0.timestamp.hasSuffix("Z") }, stored.first?.timestamp ?? "")
        XCTAssertEqual(broker.history(subscription: subscribed.subscription, limit: 2)?.map { $0.payload.arguments?.description }, ["[4]", "[5]"])
        XCTAssertEqual(broker.history(subscription: subscribed.subscription, limit: 2, reverse: true)?.map { $0.payload.arguments?.description }, ["[6]", "[5]"])
        XCTAssertNil(broker.history(subscription: 424242, limit: nil))

        broker.subscribe(Subscribe(request: 2, options: options(), topic: "com.log.audit.x"), from: subscriber)
        guard case .subscribed(let audit)? = peer.last else { return XCTFail() }
        XCTAssertEqual(broker.history(subscription: audit.subscription, limit: nil)?.count, 5, "the longest prefix sets the limit")
        broker.subscribe(Subscribe(request: 3, options: options(), topic: "com.other"), from: subscriber)
        guard case .subscribed(let other)? = peer.last else { return XCTFail() }
        XCTAssertEqual(broker.history(subscription: other.subscription, limit: nil)?.count, 0)
    }

    func testPatternSubscriptionHistoryMergesTopicsInPublicationOrder() throws {
        let broker = makeBroker([(prefix: "com.mycompany.log", limit: 10)])
        let (publisher, _) = RealmSession.make(1)
        let (subscriber, peer) = RealmSession.make(2)
        func subscribe(_ topic: String, _ opts: String = "{}") -> WampID {
            broker.subscribe(Subscribe(request: 1, options: options(opts), topic: topic), from: subscriber)
            guard case .subscribed(let subscribed)? = peer.last else { XCTFail(); return 0 }
            return subscribed.subscription
        }
        let auth = subscribe("com.mycompany.log.auth")
        let basket = subscribe("com.mycompany.log.basket")
        let all = subscribe("com.mycompany.log", #"{"match":"prefix"}"#)
        let topics = ["auth", "basket", "basket", "basket", "checkout"]
        var publications: [WampID] = []
        for (i, topic) in topics.enumerated() {
            broker.publish(Publish(request: WampID(i + 1), options: options(#"{"acknowledge":true}"#),
                                   topic: "com.mycompany.log.\(topic)"), from: publisher)
        }
        publications = events(peer).map(\.publication).reduce(into: []) { if !$0.contains($1) { $0.append($1) } }
        XCTAssertEqual(publications.count, 5)
        XCTAssertEqual(broker.history(subscription: auth, limit: nil)?.map(\.publication), [publications[0]])
        XCTAssertEqual(broker.history(subscription: basket, limit: nil)?.map(\.publication), Array(publications[1...3]))
        let merged = try XCTUnwrap(broker.history(subscription: all, limit: nil))
        XCTAssertEqual(merged.map(\.publication), publications)
        XCTAssertEqual(merged.map { keys($0.details)["topic"] }, topics.map { "\"com.mycompany.log.\($0)\"" })
    }

    func testHistorySkipsSessionListsAndFiltersByTheCallersAuthrole() throws {
        let broker = makeBroker([(prefix: "com.t", limit: 10)])
        let (publisher, _) = RealmSession.make(1)
        let (subscriber, peer) = RealmSession.make(2)
        broker.subscribe(Subscribe(request: 1, options: options(), topic: "com.t"), from: subscriber)
        guard case .subscribed(let subscribed)? = peer.last else { return XCTFail() }
        broker.publish(Publish(request: 1, options: options(#"{"exclude":[99]}"#), topic: "com.t"), from: publisher)
        broker.publish(Publish(request: 2, options: options(#"{"eligible":[2]}"#), topic: "com.t"), from: publisher)
        broker.publish(Publish(request: 3, options: options(#"{"eligible_authrole":["admin"]}"#), topic: "com.t"), from: publisher)
        broker.publish(Publish(request: 4, options: options(#"{"disclose_me":true}"#), topic: "com.t"), from: publisher)
        XCTAssertEqual(broker.history(subscription: subscribed.subscription, limit: nil)?.count, 2, "session-ID lists are not stored")
        let user = RealmSession(id: 5, peer: FakePeer(), authid: "u", authrole: "user")
        let admin = RealmSession(id: 6, peer: FakePeer(), authid: "a", authrole: "admin")
        let forUser = try XCTUnwrap(broker.history(subscription: subscribed.subscription, visibleTo: user))
        XCTAssertEqual(forUser.count, 1)
        XCTAssertEqual(keys(forUser[0].details)["publisher"], "1")
        XCTAssertEqual(broker.history(subscription: subscribed.subscription, visibleTo: admin)?.count, 2)
    }

    func testNoHistoryIsKeptWithoutConfiguration() throws {
        let (publisher, _) = join(1)
        let (subscriber, peer) = join(2)
        let subscription = try XCTUnwrap(subscribe(subscriber, peer, "com.t"))
        publish(publisher, "com.t")
        XCTAssertEqual(broker.history(subscription: subscription, limit: nil)?.count, 0)
    }
}
