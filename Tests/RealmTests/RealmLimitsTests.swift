import XCTest
@testable import Realm
import WampMessages

/// Every per-session and per-realm bound: past it a request gets `router.error.limit_exceeded`
/// and the session stays usable; stores evict their oldest and count it.
final class RealmLimitsTests: XCTestCase {
    private func makeRealm(_ change: (inout RealmLimits) -> Void, history: [(prefix: String, limit: Int)] = []) -> Realm {
        var limits = RealmLimits()
        change(&limits)
        return Realm(name: "realm1", eventHistory: history, limits: limits)
    }

    private func lastError(_ peer: FakePeer) -> ErrorMessage? {
        if case .error(let error)? = peer.last { return error }
        return nil
    }

    func testSubscriptionsPerSession() {
        let realm = makeRealm { $0.maxSubscriptionsPerSession = 2 }
        let (session, peer) = realm.joinFake(1)
        for (request, topic) in [(1, "a.one"), (2, "a.two")] {
            realm.broker.subscribe(Subscribe(request: WampID(request), options: options(), topic: topic), from: session)
        }
        realm.broker.subscribe(Subscribe(request: 3, options: options(), topic: "a.one"), from: session)
        guard case .subscribed? = peer.last else { return XCTFail("subscribing again to a held topic is not a new one: \(peer.texts)") }
        realm.broker.subscribe(Subscribe(request: 4, options: options(), topic: "a.three"), from: session)
        XCTAssertEqual(lastError(peer)?.error, ErrorURI.limitExceeded)
        XCTAssertEqual(lastError(peer)?.request, 4)
        XCTAssertEqual(realm.counters.value(.limitRefusals), 1)
        let (other, otherPeer) = realm.joinFake(2)
        realm.broker.subscribe(Subscribe(request: 1, options: options(), topic: "a.three"), from: other)
        guard case .subscribed? = otherPeer.last else { return XCTFail("the bound is per session") }
    }

    func testRegistrationsPerSession() {
        let realm = makeRealm { $0.maxRegistrationsPerSession = 1 }
        let (session, peer) = realm.joinFake(1)
        realm.dealer.register(Register(request: 1, options: .emptyObject, procedure: "p.one"), from: session)
        realm.dealer.register(Register(request: 2, options: .emptyObject, procedure: "p.two"), from: session)
        XCTAssertEqual(lastError(peer)?.error, ErrorURI.limitExceeded)
        XCTAssertEqual(realm.dealer.registrationCount, 1)
    }

    func testPendingCallsPerCaller() throws {
        let realm = makeRealm { $0.maxPendingCallsPerCaller = 2 }
        let (callee, calleePeer) = realm.joinFake(1)
        let (caller, callerPeer) = realm.joinFake(2)
        realm.dealer.register(Register(request: 1, options: .emptyObject, procedure: "p"), from: callee)
        for request in 1...3 as ClosedRange<WampID> {
            try realm.dealer.call(Call(request: request, options: .emptyObject, procedure: "p"), from: caller)
        }
        XCTAssertEqual(lastError(callerPeer)?.error, ErrorURI.limitExceeded)
        XCTAssertEqual(lastError(callerPeer)?.request, 3)
        let invocations = calleePeer.messages.compactMap { if case .invocation(let m) = $0 { m } else { nil } }
        XCTAssertEqual(invocations.count, 2)
        try realm.dealer.yield(Yield(request: invocations[0].request, options: .emptyObject), from: callee)
        try realm.dealer.call(Call(request: 4, options: .emptyObject, procedure: "p"), from: caller)
        XCTAssertEqual(calleePeer.messages.filter { if case .invocation = $0 { true } else { false } }.count, 3,
                       "an answered call frees its place")
    }

    func testTestamentsPerSession() throws {
        let realm = makeRealm { $0.maxTestamentsPerSession = 2 }
        let (session, peer) = realm.joinFake(1)
        XCTAssertEqual(try realm.callMeta(session, peer, "wamp.session.add_testament", #"["t.one", []]"#), "")
        XCTAssertEqual(try realm.callMeta(session, peer, "wamp.session.add_testament", #"["t.two", []]"#, #"{"scope":"detached"}"#), "")
        XCTAssertEqual(try realm.callMeta(session, peer, "wamp.session.add_testament", #"["t.three", []]"#), "!" + ErrorURI.limitExceeded)
        XCTAssertEqual(try realm.callMeta(session, peer, "wamp.session.flush_testaments"), "")
        XCTAssertEqual(try realm.callMeta(session, peer, "wamp.session.add_testament", #"["t.three", []]"#), "", "flushing frees places")
    }

    func testMetaProcedureArgumentsAreBoundedBeforeTheyAreParsed() throws {
        let realm = makeRealm { $0.maxParsedArgumentsBytes = 64 }
        let (session, peer) = realm.joinFake(1)
        let big = "[\"t.one\", [\"\(String(repeating: "x", count: 100))\"]]"
        XCTAssertEqual(try realm.callMeta(session, peer, "wamp.session.add_testament", big), "!" + ErrorURI.limitExceeded)
        XCTAssertEqual(try realm.callMeta(session, peer, "wamp.session.count"), "[1]")
    }

    private func retain(_ realm: Realm, _ session: RealmSession, _ topic: String, _ text: String) {
        realm.broker.publish(Publish(request: 1, options: options(#"{"retain":true}"#), topic: topic,
                                     payload: Payload(arguments: RawJSON("[\"\(text)\"]")!)), from: session)
    }

    private func retainedTopics(_ realm: Realm) -> [String] {
        let (probe, peer) = realm.joinFake(99)
        defer { realm.leave(probe) }
        realm.broker.subscribe(Subscribe(request: 1, options: options(#"{"match":"prefix","get_retained":true}"#), topic: "r"), from: probe)
        return peer.messages.compactMap { message in
            guard case .event(let event) = message else { return nil }
            return event.details.string("topic")
        }
    }

    func testRetainedTopicsEvictTheOldest() {
        let realm = makeRealm { $0.maxRetainedTopics = 2 }
        let (publisher, _) = realm.joinFake(1)
        retain(realm, publisher, "r.a", "1")
        retain(realm, publisher, "r.b", "2")
        retain(realm, publisher, "r.a", "3")
        retain(realm, publisher, "r.c", "4")
        XCTAssertEqual(retainedTopics(realm), ["r.a", "r.c"], "r.b was the oldest retained event")
        XCTAssertEqual(realm.counters.value(.retainedEvicted), 1)
    }

    func testEvictionsAreLoggedFirstThenOncePerThousandOrSo() {
        let counters = RealmCounters()
        var lines = 0
        for _ in 0..<5000 where counters.add(.retainedEvicted) { lines += 1 }
        XCTAssertEqual(counters.value(.retainedEvicted), 5000)
        XCTAssertEqual(lines, 1 + 5000 / RealmCounters.logEvery, "the first eviction, then one per 1,024")
        XCTAssertTrue(counters.add(.historyEvicted, 3000), "a first addition always gets its line")
    }

    func testRetainedBytesEvictTheOldest() {
        let realm = makeRealm { $0.maxRetainedBytes = 30 }
        let (publisher, _) = realm.joinFake(1)
        let ten = String(repeating: "x", count: 6) // ["xxxxxx"] is 10 bytes
        for topic in ["r.a", "r.b", "r.c", "r.d"] { retain(realm, publisher, topic, ten) }
        XCTAssertEqual(retainedTopics(realm), ["r.b", "r.c", "r.d"])
        XCTAssertEqual(realm.counters.value(.retainedEvicted), 1)
    }

    func testRetainedDeliveryOnSubscribeIsBoundedAndCounted() {
        let realm = makeRealm { $0.maxAnswerBytes = 25 }
        let (publisher, _) = realm.joinFake(1)
        for topic in ["r.a", "r.b", "r.c"] { retain(realm, publisher, topic, "123456") }
        XCTAssertEqual(retainedTopics(realm), ["r.a", "r.b"])
        XCTAssertEqual(realm.counters.value(.retainedNotDelivered), 1)
    }

    func testHistoryBoundsEvictTheOldestAcrossTopics() {
        let realm = makeRealm({ $0.maxHistoryTopics = 2; $0.maxHistoryBytes = 1 << 20 }, history: [("h.", 10)])
        let (publisher, _) = realm.joinFake(1)
        for topic in ["h.a", "h.b", "h.a", "h.c"] {
            realm.broker.publish(Publish(request: 1, options: options(), topic: topic, payload: Payload(arguments: RawJSON("[1]")!)),
                                 from: publisher)
        }
        XCTAssertEqual(realm.counters.value(.historyEvicted), 2, "h.a's first event, then h.b's, the oldest two")
        let (subscriber, peer) = realm.joinFake(2)
        realm.broker.subscribe(Subscribe(request: 1, options: options(#"{"match":"prefix"}"#), topic: "h"), from: subscriber)
        guard case .subscribed(let subscribed)? = peer.last else { return XCTFail() }
        let events = realm.broker.history(subscription: subscribed.subscription) ?? []
        XCTAssertEqual(events.map(\.topic), ["h.a", "h.c"])
    }

    func testGetEventsAnswerIsBounded() throws {
        let realm = makeRealm({ $0.maxAnswerBytes = 400 }, history: [("h.", 100)])
        let (publisher, _) = realm.joinFake(1)
        let (subscriber, peer) = realm.joinFake(2)
        realm.broker.subscribe(Subscribe(request: 1, options: options(), topic: "h.t"), from: subscriber)
        guard case .subscribed(let subscribed)? = peer.last else { return XCTFail() }
        for _ in 1...20 {
            realm.broker.publish(Publish(request: 1, options: options(), topic: "h.t", payload: Payload(arguments: RawJSON("[12345]")!)),
                                 from: publisher)
        }
        XCTAssertEqual(try realm.callMeta(subscriber, peer, "wamp.subscription.get_events", "[\(subscribed.subscription)]"),
                       "!" + ErrorURI.limitExceeded)
        let few = try realm.callMeta(subscriber, peer, "wamp.subscription.get_events", "[\(subscribed.subscription)]", #"{"limit":2}"#)
        XCTAssertTrue(few.hasPrefix("[[{"), few)
    }
}
