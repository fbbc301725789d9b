@testable import Cluster
import NIOCore
import Realm
import WampMessages
import XCTest

final class ClusterCodingTests: XCTestCase {
    func testSubjectsEscapeWhatNATSReserves() {
        XCTAssertEqual(ClusterSubject.event(realm: "r1", topic: "com.a.b"), "wamp.r1.ev.com.a.b")
        XCTAssertEqual(ClusterSubject.event(realm: "my.realm", topic: "a.b*c.d>e"), "wamp.my%2Erealm.ev.a.b%2Ac.d%3Ee")
        XCTAssertEqual(ClusterSubject.escape("50% off now", dots: false), "50%25%20off%20now")
        XCTAssertEqual(ClusterSubject.interest(realm: "r", topic: "a..c", match: .wildcard).subject, "wamp.r.ev.a.*.c")
        XCTAssertEqual(ClusterSubject.interest(realm: "r", topic: "a.b", match: .prefix).subject, "wamp.r.ev.a.>")
        XCTAssertEqual(ClusterSubject.interest(realm: "r", topic: "com", match: .prefix).subject, "wamp.r.ev.>")
        XCTAssertEqual(ClusterSubject.interest(realm: "r", topic: "a.b", match: .exact).subject, "wamp.r.ev.a.b")
        XCTAssertEqual(ClusterSubject.retained(realm: "my.realm"), "wamp.my%2Erealm.rt")
        for component in ["", "%", "a*b", "x>y", "tab\there", "%2A", "é.ü", "a b\r\n"] {
            XCTAssertEqual(ClusterSubject.unescape(ClusterSubject.escape(component, dots: true)), component)
        }
        XCTAssertNil(ClusterSubject.unescape("%4"))
        XCTAssertNil(ClusterSubject.unescape("%zz"))
    }

    func testEventCodecRoundTripAndRefusesTruncation() throws {
        var publication = RelayedPublication(
            publication: 42, topic: "com.x", payload: Payload(arguments: RawJSON("[1,2]"), argumentsKw: RawJSON(#"{"a":1}"#)),
            publisher: 7, excludeMe: false, disclosed: true, disclosedAuthid: "alice", disclosedAuthrole: nil,
            passthru: [("ppt_scheme", "mqtt")],
            filter: PublicationFilter(exclude: [1, 2], excludeAuthid: ["bob"], eligibleAuthrole: ["user", "admin"]))
        publication.filter?.eligible = []
        let bytes = ClusterEventCodec.encode(publication)
        let back = try ClusterEventCodec.decode(bytes)
        XCTAssertEqual(back.publication, 42)
        XCTAssertEqual(back.topic, "com.x")
        XCTAssertEqual(back.publisher, 7)
        XCTAssertFalse(back.excludeMe)
        XCTAssertFalse(back.retain)
        XCTAssertTrue(back.disclosed)
        XCTAssertEqual(back.disclosedAuthid, "alice")
        XCTAssertNil(back.disclosedAuthrole)
        XCTAssertEqual(back.passthru.map(\.key), ["ppt_scheme"])
        XCTAssertEqual(back.filter?.exclude, [1, 2])
        XCTAssertEqual(back.filter?.excludeAuthid, ["bob"])
        XCTAssertNil(back.filter?.excludeAuthrole)
        XCTAssertEqual(back.filter?.eligible, [])
        XCTAssertNil(back.filter?.eligibleAuthid)
        XCTAssertEqual(back.filter?.eligibleAuthrole, ["user", "admin"])
        XCTAssertNil(try ClusterEventCodec.decode(ClusterEventCodec.encode(
            RelayedPublication(publication: 1, topic: "t", payload: .empty, publisher: 2))).filter)
        XCTAssertTrue(try ClusterEventCodec.decode(ClusterEventCodec.encode(
            RelayedPublication(publication: 1, topic: "t", payload: .empty, publisher: 2, retain: true))).retain)
        XCTAssertEqual(back.payload, publication.payload)
        for cut in 0..<bytes.readableBytes {
            XCTAssertThrowsError(try ClusterEventCodec.decode(bytes.getSlice(at: 0, length: cut)!), "cut at \(cut)")
        }
        var longer = bytes
        longer.writeInteger(UInt8(0))
        XCTAssertThrowsError(try ClusterEventCodec.decode(longer))
        // A list count the message cannot hold is refused before anything is allocated for it.
        var lying = ByteBuffer()
        lying.writeBytes([1, 1] + [UInt8](repeating: 0, count: 16) + [0])
        lying.writeInteger(UInt32(1)); lying.writeString("t")
        lying.writeInteger(UInt8(0))  // passthru
        lying.writeInteger(UInt8(1)); lying.writeInteger(UInt32.max)
        XCTAssertThrowsError(try ClusterEventCodec.decode(lying))
    }

    func testSlotIDsStayInRangeAndCarryTheSlot() {
        for slot in [1, 2, 512, 1023] {
            var generator = IDGenerator(slot: slot)
            for _ in 0..<1000 {
                let id = generator.next()
                XCTAssertTrue(id >= 1 && id < (1 << 53))
                XCTAssertEqual(IDGenerator.slot(of: id), slot)
            }
        }
    }

    func testServerURLsCarryCredentialsApart() throws {
        let (servers, user, password) = try ClusterNode.parseServers(["nats://u%40x:p%3Aw@10.0.0.1:4223", "nats://10.0.0.2"])
        XCTAssertEqual(servers.map(\.description), ["nats://10.0.0.1:4223", "nats://10.0.0.2:4222"])
        XCTAssertEqual(user, "u@x")
        XCTAssertEqual(password, "p:w")
        XCTAssertThrowsError(try ClusterNode.parseServers(["nats://"]))
    }

    /// What one node sends another for the session meta API: round trip, and a node answers
    /// nothing (so the asker names it as partial) to what does not parse.
    func testSessionQueriesRoundTripAndWhatDoesNotParseGetsNoAnswer() {
        for query in [SessionQuery.count(authroles: nil), .count(authroles: ["a", "b\"c"]), .list(authroles: []), .get(42),
                      .subscribers(7, countOnly: false), .subscribers(8, countOnly: true),
                      .kill(.session(9), except: 1, reason: "wamp.close.killed", message: "bye"),
                      .kill(.authid("a"), except: 1, reason: "r.x", message: nil), .kill(.authrole("b"), except: 2, reason: "r.y", message: nil),
                      .kill(.all, except: 3, reason: "r.z", message: nil),
                      .removeSubscriber(4, subscription: 5, reason: nil), .removeSubscriber(4, subscription: 5, reason: "r.w"),
                      .history(6, caller: 7, authid: "a\"b", authrole: "r")] {
            XCTAssertEqual(SessionQuery(text: query.text), query, query.text)
        }
        let realm = Realm(name: "r1")
        realm.join(RealmSession(id: 7, peer: RecordingPeer(), authid: "a", authrole: "guest"))
        realm.join(RealmSession(id: 8, peer: RecordingPeer(), authid: "b", authrole: "user"))
        for bad in ["", "[]", #"{"q":"kill"}"#, #"{"q":"get"}"#, #"{"q":"get","session":0}"#, #"{"q":"list","authroles":[1]}"#,
                    #"{"q":"subscribers"}"#, #"{"q":"count_subscribers","subscription":-1}"#] {
            XCTAssertNil(SessionQuery(text: bad), bad)
            XCTAssertNil(realm.answerSessionQuery(bad, maxBytes: 1000), bad)
        }
        let count = realm.answerSessionQuery(SessionQuery.count(authroles: ["user"]).text, maxBytes: 1000)
        XCTAssertEqual(JSONValue.parse(count ?? "")?.integer("count"), 1)
        let list = realm.answerSessionQuery(SessionQuery.list(authroles: nil).text, maxBytes: 1000)
        XCTAssertEqual(Set(JSONValue.parse(list ?? "")?.value("sessions")?.integerArray ?? []), [7, 8])
        // Room for one ID in "[7]" (3 bytes) but not "[7,8]": the node says it cut its list.
        let cut = JSONValue.parse(realm.answerSessionQuery(SessionQuery.list(authroles: nil).text, maxBytes: 4) ?? "")
        XCTAssertEqual(cut?.value("sessions")?.integerArray?.count, 1)
        XCTAssertEqual(cut?.bool("truncated"), true)
        let get = realm.answerSessionQuery(SessionQuery.get(8).text, maxBytes: 1000)
        XCTAssertEqual(JSONValue.parse(get ?? "")?.object("details")?.string("authid"), "b")
        let none = realm.answerSessionQuery(SessionQuery.get(9).text, maxBytes: 1000)
        XCTAssertNil(JSONValue.parse(none ?? "")?.object("details"))
    }

    func testARosterAnswerNamesEachSessionWithAuthidAndAuthroleWithinItsBound() throws {
        XCTAssertEqual(SessionQuery(text: SessionQuery.roster.text), .roster)
        let realm = Realm(name: "r1")
        realm.join(RealmSession(id: 7, peer: RecordingPeer(), authid: "a\"x", authrole: "guest"))
        realm.join(RealmSession(id: 8, peer: RecordingPeer(), authid: "b", authrole: "user"))
        let text = try XCTUnwrap(realm.answerSessionQuery(SessionQuery.roster.text, maxBytes: 1000))
        let answer = try XCTUnwrap(SessionQuery.Answer(text: text))
        XCTAssertEqual(Set(answer.members.map(\.id)), [7, 8])
        XCTAssertEqual(answer.members.first { $0.id == 7 }, SessionMember(id: 7, authid: "a\"x", authrole: "guest"))
        XCTAssertFalse(answer.truncated)
        // Room for either member (with its separator and the brackets) in the list, not for both.
        let cut = try XCTUnwrap(SessionQuery.Answer(text: realm.answerSessionQuery(SessionQuery.roster.text, maxBytes: 22) ?? ""))
        XCTAssertEqual(cut.members.count, 1)
        XCTAssertTrue(cut.truncated)
        XCTAssertNil(SessionQuery.Answer(text: #"{"count":1,"sessions":[],"roster":[[0,"a","b"]]}"#), "an ID out of range")
        XCTAssertNil(SessionQuery.Answer(text: #"{"count":1,"sessions":[],"roster":[[5,"a"]]}"#))
        // on_join's details and on_leave's arguments name a session the same way.
        XCTAssertEqual(SessionMember(JSONValue.parse(#"{"session":5,"authid":"a","authrole":"r","authmethod":"x"}"#)!),
                       SessionMember(id: 5, authid: "a", authrole: "r"))
        XCTAssertEqual(SessionMember(JSONValue.parse(#"[5,"a","r"]"#)!), SessionMember(id: 5, authid: "a", authrole: "r"))
        XCTAssertNil(SessionMember(JSONValue.parse(#""5""#)!))
    }
}
