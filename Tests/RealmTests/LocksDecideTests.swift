import XCTest
import Realm
import WampMessages

/// No send runs under a routing lock: a peer whose session ends inside `send` (the transport
/// closed on backlog overflow) must not re-enter a lock its sender holds. Each of these crashed
/// the process with "Recursive call to lock Mutex" before the outbox.
final class LocksDecideTests: XCTestCase {
    private var realm: Realm!

    override func setUp() {
        realm = Realm(name: "realm1")
    }

    func testRetainedEventsToASubscriberThatDiesOnTheFirstOne() throws {
        let (publisher, publisherPeer) = realm.joinFake(1)
        for topic in ["com.r.a", "com.r.b", "com.r.c"] {
            realm.broker.publish(Publish(request: 1, options: options(#"{"retain":true,"acknowledge":true}"#), topic: topic,
                                         payload: Payload(arguments: RawJSON("[\"\(String(repeating: "x", count: 40_000))\"]")!)),
                                 from: publisher)
        }
        XCTAssertEqual(publisherPeer.messages.count, 3)
        let (slow, slowPeer) = ReentrantPeer.join(realm, id: 2)
        slowPeer.arm()
        realm.broker.subscribe(Subscribe(request: 1, options: options(#"{"match":"prefix","get_retained":true}"#), topic: "com.r"),
                               from: slow)
        XCTAssertTrue(slowPeer.hasLeft)
        XCTAssertNil(realm.session(slow.id))
        XCTAssertEqual(realm.broker.subscriptionCount, 0, "the dead subscriber's subscription went with it")
        // Everyone else is unaffected.
        let (other, otherPeer) = realm.joinFake(3)
        realm.broker.subscribe(Subscribe(request: 1, options: options(), topic: "com.r.a"), from: other)
        guard case .subscribed? = otherPeer.messages.first else { return XCTFail("\(otherPeer.texts)") }
    }

    func testASlowOnJoinSubscriber() throws {
        let (watcher, watcherPeer) = ReentrantPeer.join(realm, id: 1)
        realm.broker.subscribe(Subscribe(request: 1, options: options(), topic: "wamp.session.on_join"), from: watcher)
        watcherPeer.arm()
        let (newcomer, _) = realm.joinFake(2)
        XCTAssertTrue(watcherPeer.hasLeft)
        XCTAssertNil(realm.session(watcher.id))
        XCTAssertNotNil(realm.session(newcomer.id))
        XCTAssertEqual(realm.sessionCount, 1)
    }

    func testASlowOnRegisterSubscriber() throws {
        let (watcher, watcherPeer) = ReentrantPeer.join(realm, id: 1)
        realm.broker.subscribe(Subscribe(request: 1, options: options(), topic: "wamp.registration.on_register"), from: watcher)
        watcherPeer.arm()
        let (callee, calleePeer) = realm.joinFake(2)
        realm.dealer.register(Register(request: 4, options: .emptyObject, procedure: "com.example.p"), from: callee)
        XCTAssertTrue(watcherPeer.hasLeft)
        guard case .registered(let registered)? = calleePeer.last else { return XCTFail("\(calleePeer.texts)") }
        XCTAssertEqual(registered.request, 4)
        XCTAssertEqual(realm.dealer.registrationCount, 1)
    }

    func testACalleeThatDiesOnItsRegisteredLeavesNoRegistration() throws {
        let (callee, calleePeer) = ReentrantPeer.join(realm, id: 1)
        calleePeer.arm()
        realm.dealer.register(Register(request: 1, options: .emptyObject, procedure: "com.example.p"), from: callee)
        XCTAssertTrue(calleePeer.hasLeft)
        XCTAssertEqual(realm.dealer.registrationCount, 0)
    }

    /// The work a re-entrant leave queues (its on_leave) still goes out, after what came first.
    func testMetaEventsOfAReentrantLeaveFollowTheEventThatCausedIt() throws {
        let (observer, observerPeer) = realm.joinFake(9)
        for topic in ["wamp.session.on_join", "wamp.session.on_leave"] {
            realm.broker.subscribe(Subscribe(request: 1, options: options(), topic: topic), from: observer)
        }
        let (watcher, watcherPeer) = ReentrantPeer.join(realm, id: 1)
        realm.broker.subscribe(Subscribe(request: 1, options: options(), topic: "wamp.session.on_join"), from: watcher)
        observerPeer.clear()
        watcherPeer.arm()
        _ = realm.joinFake(2)
        let kinds = observerPeer.messages.compactMap { message -> String? in
            guard case .event(let event) = message else { return nil }
            return event.payload.arguments!.description.contains("\"session\":2") ? "join 2" : "leave \(event.payload.arguments!)"
        }
        XCTAssertEqual(kinds.count, 2)
        XCTAssertEqual(kinds.first, "join 2")
        XCTAssertTrue(kinds.last?.hasPrefix("leave [1,") == true, "\(kinds)")
    }
}
