import Realm
import Synchronization
import WampMessages
import XCTest

/// The seam through which the cluster keeps testaments (`TestamentKeeper`), and the publication
/// of a departed session's testaments on its behalf.
final class TestamentKeeperTests: XCTestCase {
    private final class RecordingKeeper: TestamentKeeper {
        let calls = Mutex<[(left: Bool, testaments: SessionTestaments)]>([])
        func testamentsChanged(_ testaments: SessionTestaments) { calls.withLock { $0.append((false, testaments)) } }
        func sessionLeft(_ testaments: SessionTestaments) { calls.withLock { $0.append((true, testaments)) } }
        var summary: [String] {
            calls.withLock { calls in
                calls.map { "\($0.left ? "left" : "changed") \($0.testaments.change) \($0.testaments.detached.count)/\($0.testaments.destroyed.count)" }
            }
        }
    }

    private func join(_ realm: Realm, _ id: WampID, authid: String = "user") -> (RealmSession, FakePeer) {
        let peer = FakePeer()
        let session = RealmSession(id: id, peer: peer, authid: authid, authrole: "worker", roles: JSONValue.parse(#"{"caller":{}}"#))
        realm.join(session)
        return (session, peer)
    }

    func testTheKeeperGetsEveryListChangeAndTheLeaveOfSessionsThatHadTestaments() throws {
        let realm = Realm(name: "realm1")
        let keeper = RecordingKeeper()
        realm.attach(testamentKeeper: keeper)
        let (leaver, peer) = join(realm, 2, authid: "leaver")
        _ = try realm.callMeta(leaver, peer, "wamp.session.add_testament", #"["com.example.gone", [1]]"#)
        _ = try realm.callMeta(leaver, peer, "wamp.session.add_testament", #"["com.example.gone", [2]]"#, #"{"scope":"detached"}"#)
        _ = try realm.callMeta(leaver, peer, "wamp.session.flush_testaments", "[]", #"{"scope":"detached"}"#)
        _ = try realm.callMeta(leaver, peer, "wamp.session.flush_testaments", "[]", #"{"scope":"detached"}"#)
        _ = try realm.callMeta(leaver, peer, "wamp.session.add_testament", #"["bad topic", []]"#)
        realm.leave(leaver)
        XCTAssertEqual(keeper.summary, ["changed 1 0/1", "changed 2 1/1", "changed 3 0/1", "left 4 0/1"],
                       "an empty flush and a refused add change nothing")
        let first = try XCTUnwrap(keeper.calls.withLock { $0.first?.testaments })
        XCTAssertEqual(first.session, 2)
        XCTAssertEqual(first.authid, "leaver")
        XCTAssertEqual(first.authrole, "worker")

        let (quiet, _) = join(realm, 3)
        realm.leave(quiet)
        XCTAssertEqual(keeper.calls.withLock { $0.count }, 4, "a session that never had testaments costs the keeper nothing")
    }

    func testADepartedSessionsTestamentsArePublishedAsItsOwn() throws {
        let realm = Realm(name: "realm1")
        let (watcher, watcherPeer) = join(realm, 1)
        realm.broker.subscribe(Subscribe(request: 1, options: .emptyObject, topic: "com.example.gone"), from: watcher)
        let departed = SessionTestaments(session: 77, authid: "ghost", authrole: "spirit", detached: [
            Testament(topic: "com.example.gone", payload: Payload(arguments: RawJSON("[1]")),
                      publishOptions: JSONValue.parse(#"{"disclose_me": true}"#)!),
        ], destroyed: [
            Testament(topic: "com.example.gone", payload: Payload(arguments: RawJSON("[2]")),
                      publishOptions: JSONValue.parse(#"{"exclude": [1]}"#)!),
            Testament(topic: "bad topic", payload: .empty, publishOptions: .emptyObject),
        ])
        watcherPeer.clear()
        XCTAssertEqual(realm.publishTestaments(ofDeparted: departed), 1, "the invalid topic is refused (and logged)")
        let events = watcherPeer.messages.compactMap { if case .event(let e) = $0 { e } else { nil } }
        XCTAssertEqual(events.map { $0.payload.arguments?.description }, ["[1]"], "the exclude list applies")
        XCTAssertEqual(events.first?.details.integer("publisher"), 77)
        XCTAssertEqual(events.first?.details.string("publisher_authid"), "ghost")
        XCTAssertEqual(events.first?.details.string("publisher_authrole"), "spirit")
    }
}
