import XCTest
import Realm
import WampMessages

/// The router's `wamp.session.*` and `wamp.registration.*` procedures, called as a client would.
final class MetaProceduresTests: XCTestCase {
    private var realm: Realm!

    override func setUp() {
        realm = Realm(name: "realm1")
    }

    private func join(_ id: WampID, authid: String = "user", authrole: String = "anonymous") -> (RealmSession, FakePeer) {
        let peer = FakePeer()
        let session = RealmSession(id: id, peer: peer, authid: authid, authrole: authrole, roles: JSONValue.parse(#"{"caller":{}}"#))
        realm.join(session)
        return (session, peer)
    }

    private func meta(_ session: RealmSession, _ peer: FakePeer, _ procedure: String, _ args: String = "[]", _ kwargs: String? = nil) throws -> String {
        try realm.callMeta(session, peer, procedure, args, kwargs)
    }

    func testSessionCountListAndGet() throws {
        let (a, peerA) = join(1, authrole: "admin")
        _ = join(2)
        _ = join(3)
        XCTAssertEqual(try meta(a, peerA, "wamp.session.count"), "[3]")
        XCTAssertEqual(try meta(a, peerA, "wamp.session.count", #"[["admin"]]"#), "[1]")
        let list = try XCTUnwrap(RawJSON(try meta(a, peerA, "wamp.session.list"))?.parsed()?.element(0)?.integerArray)
        XCTAssertEqual(Set(list), [1, 2, 3])
        let details = try XCTUnwrap(RawJSON(try meta(a, peerA, "wamp.session.get", "[2]"))?.parsed()?.element(0))
        XCTAssertEqual(details.integer("session"), 2)
        XCTAssertEqual(details.string("authid"), "user")
        XCTAssertEqual(details.string("authrole"), "anonymous")
        XCTAssertEqual(details.string("authmethod"), "anonymous")
        XCTAssertEqual(try meta(a, peerA, "wamp.session.get", "[99]"), "!wamp.error.no_such_session")
        XCTAssertEqual(try meta(a, peerA, "wamp.session.count", #"["admin"]"#), "!wamp.error.invalid_argument")
    }

    func testKillNeverHitsTheCaller() throws {
        let (a, peerA) = join(1, authid: "ops")
        let (_, peerB) = join(2, authid: "ops")
        let (_, peerC) = join(3, authid: "guest", authrole: "guest")
        let (_, peerD) = join(4, authid: "guest")
        XCTAssertEqual(try meta(a, peerA, "wamp.session.kill", "[1]"), "!wamp.error.no_such_session")
        XCTAssertEqual(try meta(a, peerA, "wamp.session.kill", "[2]", #"{"reason":"com.example.bye","message":"go"}"#), "")
        XCTAssertEqual(peerB.killReasons, ["com.example.bye"])
        XCTAssertEqual(peerB.killMessages, ["go"])
        XCTAssertEqual(try meta(a, peerA, "wamp.session.kill", "[3]", #"{"reason":"not a uri"}"#), "!wamp.error.invalid_uri")
        XCTAssertEqual(try meta(a, peerA, "wamp.session.kill_by_authid", #"["ops"]"#), "[[2]]")
        XCTAssertEqual(peerB.killReasons, ["com.example.bye", "wamp.close.killed"])
        XCTAssertEqual(try meta(a, peerA, "wamp.session.kill_by_authrole", #"["guest"]"#), "[1]")
        XCTAssertEqual(peerC.killReasons, ["wamp.close.killed"])
        XCTAssertEqual(try meta(a, peerA, "wamp.session.kill_all"), "[3]")
        XCTAssertEqual(peerD.killReasons, ["wamp.close.killed"])
        XCTAssertTrue(peerA.killReasons.isEmpty)
    }

    func testRegistrationMetaProcedures() throws {
        let (callee, calleePeer) = join(1)
        let (other, otherPeer) = join(2)
        let (admin, adminPeer) = join(3)
        realm.dealer.register(Register(request: 1, options: JSONValue.parse(#"{"invoke":"roundrobin"}"#)!, procedure: "com.example.p"), from: callee)
        guard case .registered(let registered) = calleePeer.last else { return XCTFail() }
        realm.dealer.register(Register(request: 1, options: JSONValue.parse(#"{"invoke":"roundrobin"}"#)!, procedure: "com.example.p"), from: other)
        realm.dealer.register(Register(request: 2, options: JSONValue.parse(#"{"match":"prefix"}"#)!, procedure: "com.example"), from: other)
        guard case .registered(let prefixRegistration) = otherPeer.last else { return XCTFail() }
        let id = registered.registration

        let lists = try XCTUnwrap(RawJSON(try meta(admin, adminPeer, "wamp.registration.list"))?.parsed()?.element(0))
        XCTAssertEqual(lists.value("exact")?.integerArray, [Int64(id)])
        XCTAssertEqual(lists.value("prefix")?.integerArray, [Int64(prefixRegistration.registration)])
        XCTAssertEqual(lists.value("wildcard")?.integerArray, [])
        XCTAssertEqual(try meta(admin, adminPeer, "wamp.registration.lookup", #"["com.example.p"]"#), "[\(id)]")
        XCTAssertEqual(try meta(admin, adminPeer, "wamp.registration.lookup", #"["com.example", {"match":"prefix"}]"#), "[\(prefixRegistration.registration)]")
        XCTAssertEqual(try meta(admin, adminPeer, "wamp.registration.lookup", #"["com.example.q"]"#), "[null]")
        XCTAssertEqual(try meta(admin, adminPeer, "wamp.registration.match", #"["com.example.q"]"#), "[\(prefixRegistration.registration)]")
        XCTAssertEqual(try meta(admin, adminPeer, "wamp.registration.match", #"["org.x"]"#), "[null]")
        let details = try XCTUnwrap(RawJSON(try meta(admin, adminPeer, "wamp.registration.get", "[\(id)]"))?.parsed()?.element(0))
        XCTAssertEqual(details.string("uri"), "com.example.p")
        XCTAssertEqual(details.string("match"), "exact")
        XCTAssertEqual(details.string("invoke"), "roundrobin")
        XCTAssertNotNil(details.string("created"))
        XCTAssertEqual(try meta(admin, adminPeer, "wamp.registration.list_callees", "[\(id)]"), "[[1, 2]]")
        XCTAssertEqual(try meta(admin, adminPeer, "wamp.registration.count_callees", "[\(id)]"), "[2]")
        XCTAssertEqual(try meta(admin, adminPeer, "wamp.registration.count_callees", "[12345]"), "!wamp.error.no_such_registration")
        XCTAssertEqual(try meta(admin, adminPeer, "wamp.registration.remove_callee", "[\(id), 1]"), "")
        XCTAssertEqual(try meta(admin, adminPeer, "wamp.registration.list_callees", "[\(id)]"), "[[2]]")
    }

    func testTestamentsArePublishedInOrderWhenTheSessionLeaves() throws {
        let (watcher, watcherPeer) = join(1)
        realm.broker.subscribe(Subscribe(request: 1, options: .emptyObject, topic: "com.example.gone"), from: watcher)
        let (leaver, leaverPeer) = join(2)
        XCTAssertEqual(try meta(leaver, leaverPeer, "wamp.session.add_testament", #"["com.example.gone", ["destroyed-1"], {}]"#), "")
        XCTAssertEqual(try meta(leaver, leaverPeer, "wamp.session.add_testament", #"["com.example.gone", ["detached-1"], {}]"#, #"{"scope":"detached"}"#), "")
        XCTAssertEqual(try meta(leaver, leaverPeer, "wamp.session.add_testament", #"["com.example.gone", ["destroyed-2"]]"#), "")
        XCTAssertEqual(try meta(leaver, leaverPeer, "wamp.session.add_testament", #"["bad topic", []]"#), "!wamp.error.invalid_uri")
        XCTAssertEqual(try meta(leaver, leaverPeer, "wamp.session.add_testament", #"["com.example.gone", []]"#, #"{"scope":"later"}"#), "!wamp.error.invalid_argument")
        watcherPeer.clear()
        realm.leave(leaver)
        let events = watcherPeer.messages.compactMap { if case .event(let e) = $0 { e.payload.arguments?.description } else { nil } }
        XCTAssertEqual(events, [#"["detached-1"]"#, #"["destroyed-1"]"#, #"["destroyed-2"]"#])
    }

    func testFlushedTestamentsAreNotPublished() throws {
        let (watcher, watcherPeer) = join(1)
        realm.broker.subscribe(Subscribe(request: 1, options: .emptyObject, topic: "com.example.gone"), from: watcher)
        let (leaver, leaverPeer) = join(2)
        _ = try meta(leaver, leaverPeer, "wamp.session.add_testament", #"["com.example.gone", ["a"]]"#)
        _ = try meta(leaver, leaverPeer, "wamp.session.add_testament", #"["com.example.gone", ["b"]]"#, #"{"scope":"detached"}"#)
        XCTAssertEqual(try meta(leaver, leaverPeer, "wamp.session.flush_testaments"), "")
        watcherPeer.clear()
        realm.leave(leaver)
        let events = watcherPeer.messages.compactMap { if case .event(let e) = $0 { e.payload.arguments?.description } else { nil } }
        XCTAssertEqual(events, [#"["b"]"#], "only the destroyed scope was flushed")
    }

    func testUnknownWampProcedureIsNoSuchProcedure() throws {
        let (a, peerA) = join(1)
        XCTAssertEqual(try meta(a, peerA, "wamp.nothing.here"), "!wamp.error.no_such_procedure")
    }
}
