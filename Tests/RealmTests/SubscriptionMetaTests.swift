import XCTest
import Realm
import WampMessages

/// `wamp.subscription.*` procedures, event history queries and the session/registration meta
/// events, as a client sees them.
final class SubscriptionMetaTests: XCTestCase {
    private var realm: Realm!

    override func setUp() {
        realm = Realm(name: "realm1", eventHistory: [(prefix: "com.history.", limit: 5)])
    }

    private func join(_ id: WampID, roles: String = #"{"subscriber":{},"publisher":{},"caller":{},"callee":{}}"#) -> (RealmSession, FakePeer) {
        let peer = FakePeer()
        let session = RealmSession(id: id, peer: peer, authid: "user-\(id)", roles: JSONValue.parse(roles))
        realm.join(session)
        return (session, peer)
    }

    private func meta(_ session: RealmSession, _ peer: FakePeer, _ procedure: String, _ args: String = "[]", _ kwargs: String? = nil) throws -> String {
        try realm.callMeta(session, peer, procedure, args, kwargs)
    }

    private func subscribe(_ session: RealmSession, _ peer: FakePeer, _ topic: String, _ options: String = "{}") -> WampID? {
        realm.broker.subscribe(Subscribe(request: 1, options: JSONValue.parse(options)!, topic: topic), from: session)
        return peer.messages.compactMap { if case .subscribed(let s) = $0 { s.subscription } else { nil } }.last
    }

    private func events(_ peer: FakePeer) -> [Event] {
        peer.messages.compactMap { if case .event(let e) = $0 { e } else { nil } }
    }

    func testSubscriptionMetaProcedures() throws {
        let (a, peerA) = join(1)
        let (b, peerB) = join(2)
        let exact = try XCTUnwrap(subscribe(a, peerA, "com.example.t"))
        _ = subscribe(b, peerB, "com.example.t")
        let prefix = try XCTUnwrap(subscribe(b, peerB, "com.example", #"{"match":"prefix"}"#))
        let (admin, adminPeer) = join(3)
        let lists = try XCTUnwrap(RawJSON(try meta(admin, adminPeer, "wamp.subscription.list"))?.parsed()?.element(0))
        XCTAssertEqual(lists.value("exact")?.integerArray, [Int64(exact)])
        XCTAssertEqual(lists.value("prefix")?.integerArray, [Int64(prefix)])
        XCTAssertEqual(try meta(admin, adminPeer, "wamp.subscription.lookup", #"["com.example.t"]"#), "[\(exact)]")
        XCTAssertEqual(try meta(admin, adminPeer, "wamp.subscription.lookup", #"["com.example", {"match":"prefix"}]"#), "[\(prefix)]")
        XCTAssertEqual(try meta(admin, adminPeer, "wamp.subscription.match", #"["com.example.t"]"#), "[[\(exact), \(prefix)]]")
        XCTAssertEqual(try meta(admin, adminPeer, "wamp.subscription.match", #"["org.none"]"#), "[null]")
        let details = try XCTUnwrap(RawJSON(try meta(admin, adminPeer, "wamp.subscription.get", "[\(prefix)]"))?.parsed()?.element(0))
        XCTAssertEqual(details.string("uri"), "com.example")
        XCTAssertEqual(details.string("match"), "prefix")
        let subscribers = try XCTUnwrap(RawJSON(try meta(admin, adminPeer, "wamp.subscription.list_subscribers", "[\(exact)]"))?.parsed()?.element(0)?.integerArray)
        XCTAssertEqual(Set(subscribers), [1, 2])
        XCTAssertEqual(try meta(admin, adminPeer, "wamp.subscription.count_subscribers", "[\(exact)]"), "[2]")
        XCTAssertEqual(try meta(admin, adminPeer, "wamp.subscription.get", "[4242]"), "!wamp.error.no_such_subscription")
        XCTAssertEqual(try meta(admin, adminPeer, "wamp.subscription.remove_subscriber", "[\(exact), 1]"), "")
        XCTAssertEqual(try meta(admin, adminPeer, "wamp.subscription.count_subscribers", "[\(exact)]"), "[1]")
        XCTAssertEqual(try meta(admin, adminPeer, "wamp.subscription.remove_subscriber", "[\(exact), 1]"), "!wamp.error.no_such_session")
    }

    func testGetEventsReturnsHistoryInPublicationOrderWithFilters() throws {
        let (subscriber, subscriberPeer) = join(1)
        let subscription = try XCTUnwrap(subscribe(subscriber, subscriberPeer, "com.history.a"))
        let (publisher, _) = join(2)
        for i in 0..<7 {
            realm.broker.publish(Publish(request: WampID(i + 1), options: .emptyObject, topic: "com.history.a",
                                         payload: Payload(arguments: RawJSON("[\(i)]"))), from: publisher)
        }
        let stored = try XCTUnwrap(RawJSON(try meta(subscriber, subscriberPeer, "wamp.subscription.get_events", "[\(subscription)]"))?.parsed()?.element(0))
        XCTAssertEqual(stored.count, 5, "bounded by the configured N")
        let args = (0..<stored.count).compactMap { stored.element($0)?.value("args")?.jsonText }
        XCTAssertEqual(args, ["[2]", "[3]", "[4]", "[5]", "[6]"])
        let first = try XCTUnwrap(stored.element(0))
        XCTAssertEqual(first.integer("subscription"), Int64(subscription))
        XCTAssertNotNil(first.string("timestamp"))
        XCTAssertNotNil(first.object("details"))
        let publicationOf3 = try XCTUnwrap(stored.element(1)?.integer("publication"))

        let reversed = try XCTUnwrap(RawJSON(try meta(subscriber, subscriberPeer, "wamp.subscription.get_events", "[\(subscription)]", #"{"reverse":true,"limit":2}"#))?.parsed()?.element(0))
        XCTAssertEqual((0..<reversed.count).compactMap { reversed.element($0)?.value("args")?.jsonText }, ["[6]", "[5]"])
        let after = try XCTUnwrap(RawJSON(try meta(subscriber, subscriberPeer, "wamp.subscription.get_events", "[\(subscription)]", #"{"after_publication":\#(publicationOf3)}"#))?.parsed()?.element(0))
        XCTAssertEqual((0..<after.count).compactMap { after.element($0)?.value("args")?.jsonText }, ["[4]", "[5]", "[6]"])
        let future = try XCTUnwrap(RawJSON(try meta(subscriber, subscriberPeer, "wamp.subscription.get_events", "[\(subscription)]", #"{"from_time":"2999-01-01T00:00:00Z"}"#))?.parsed()?.element(0))
        XCTAssertEqual(future.count, 0)
        XCTAssertEqual(try meta(subscriber, subscriberPeer, "wamp.subscription.get_events", "[\(subscription)]", #"{"limit":0}"#), "!wamp.error.invalid_argument")
        XCTAssertEqual(try meta(subscriber, subscriberPeer, "wamp.subscription.get_events", "[999]"), "!wamp.error.no_such_subscription")
    }

    func testSessionAndRegistrationMetaEventsInOrder() throws {
        let (observer, observerPeer) = join(1)
        for topic in ["wamp.session.on_join", "wamp.session.on_leave", "wamp.registration.on_create",
                      "wamp.registration.on_register", "wamp.registration.on_unregister", "wamp.registration.on_delete"] {
            _ = subscribe(observer, observerPeer, topic)
        }
        let subscriptionTopics = try Dictionary(uniqueKeysWithValues: ["wamp.session.on_join", "wamp.session.on_leave", "wamp.registration.on_create",
            "wamp.registration.on_register", "wamp.registration.on_unregister", "wamp.registration.on_delete"].map { topic in
                (try XCTUnwrap(realm.broker.lookup(topic: topic)), topic)
            })
        observerPeer.clear()
        let (callee, calleePeer) = join(7)
        realm.dealer.register(Register(request: 1, options: .emptyObject, procedure: "com.example.p"), from: callee)
        guard case .registered(let registered) = calleePeer.last else { return XCTFail() }
        realm.leave(callee)
        let received = events(observerPeer)
        XCTAssertEqual(received.map { subscriptionTopics[$0.subscription]! }, [
            "wamp.session.on_join", "wamp.registration.on_create", "wamp.registration.on_register",
            "wamp.registration.on_unregister", "wamp.registration.on_delete", "wamp.session.on_leave",
        ])
        let join = try XCTUnwrap(received[0].payload.arguments?.parsed()?.element(0))
        XCTAssertEqual(join.integer("session"), 7)
        XCTAssertEqual(join.string("authid"), "user-7")
        XCTAssertEqual(received[2].payload.arguments?.description, "[7,\(registered.registration)]")
        XCTAssertEqual(received[5].payload.arguments?.description, #"[7,"user-7","anonymous"]"#)
        let created = try XCTUnwrap(received[1].payload.arguments?.parsed()?.element(1))
        XCTAssertEqual(created.string("uri"), "com.example.p")
    }
}
