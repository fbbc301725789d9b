import XCTest
import Realm
import WampMessages

/// Publisher exclusion and identification, black/whitelisting, payload passthru, pattern-based
/// subscriptions and subscription revocation.
final class BrokerAdvancedTests: BrokerTestCase {
    // MARK: publisher_identification

    func testDiscloseMeAddsPublisherIDAuthidAndAuthrole() throws {
        let (publisher, _) = join(7, authid: "alice", authrole: "admin")
        let (subscriber, peer) = join(8)
        subscribe(subscriber, peer, "com.t")
        peer.clear()
        publish(publisher, "com.t", #"{"disclose_me":true}"#, args: "[1]")
        let event = try XCTUnwrap(events(peer).first)
        XCTAssertEqual(keys(event.details), ["publisher": "7", "publisher_authid": "\"alice\"", "publisher_authrole": "\"admin\""])
        XCTAssertEqual(event.payload.arguments?.description, "[1]")

        peer.clear()
        publish(publisher, "com.t", #"{"disclose_me":false}"#)
        XCTAssertEqual(keys(try XCTUnwrap(events(peer).first).details), [:])
        XCTAssertTrue(peer.texts[0].contains(",{}"), "Details stay the empty object: \(peer.texts)")
    }

    // MARK: subscriber_blackwhite_listing

    func testBlackAndWhiteListsCombineAsSpecified() throws {
        let (publisher, publisherPeer) = join(1, authid: "pub", authrole: "user")
        let sessions = [
            join(2, authid: "a", authrole: "user"),
            join(3, authid: "b", authrole: "user"),
            join(4, authid: "c", authrole: "admin"),
            join(5, authid: "d", authrole: "admin"),
        ]
        subscribe(publisher, publisherPeer, "com.t")
        for (session, peer) in sessions { subscribe(session, peer, "com.t") }

        func receivers(_ opts: String) -> [WampID] {
            publisherPeer.clear()
            for (_, peer) in sessions { peer.clear() }
            publish(publisher, "com.t", opts)
            var ids: [WampID] = events(publisherPeer).isEmpty ? [] : [1]
            for (session, peer) in sessions where !events(peer).isEmpty { ids.append(session.id) }
            return ids
        }
        XCTAssertEqual(receivers("{}"), [2, 3, 4, 5])
        XCTAssertEqual(receivers(#"{"exclude":[2,4]}"#), [3, 5])
        XCTAssertEqual(receivers(#"{"eligible":[2,3,4],"exclude":[2]}"#), [3, 4])
        XCTAssertEqual(receivers(#"{"eligible_authrole":["admin"]}"#), [4, 5])
        XCTAssertEqual(receivers(#"{"eligible_authrole":["admin"],"eligible_authid":["c","a"]}"#), [4], "eligible sets intersect")
        XCTAssertEqual(receivers(#"{"exclude_authid":["a"],"exclude_authrole":["admin"]}"#), [3])
        XCTAssertEqual(receivers(#"{"eligible":[]}"#), [], "an empty whitelist admits nobody")
        XCTAssertEqual(receivers(#"{"eligible":[1,2],"exclude_me":false}"#), [1, 2])
        XCTAssertEqual(receivers(#"{"eligible":[1,2]}"#), [2], "exclude_me still applies to an eligible publisher")
        XCTAssertEqual(receivers(#"{"exclude_me":false,"exclude_authrole":["user"]}"#), [4, 5])
    }

    func testBlacklistedSubscribersDoNotCostAnEncoding() {
        let (publisher, _) = join(1)
        var peers: [FakePeer] = []
        for id in 2...4 as ClosedRange<WampID> {
            let (session, peer) = join(id)
            subscribe(session, peer, "com.t")
            peer.clear()
            peers.append(peer)
        }
        publish(publisher, "com.t", #"{"exclude":[3]}"#)
        XCTAssertTrue(peers[1].messages.isEmpty)
        let storage = [peers[0], peers[2]].map { $0.buffers[0].withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) } }
        XCTAssertEqual(Set(storage).count, 1)
    }

    func testMalformedPublishOptionsAreInvalidArgument() {
        let (publisher, peer) = join(1)
        let (subscriber, subscriberPeer) = join(2)
        subscribe(subscriber, subscriberPeer, "com.t")
        subscriberPeer.clear()
        for bad in [#"{"exclude":[1,"x"]}"#, #"{"exclude":5}"#, #"{"eligible":[1.5]}"#, #"{"eligible":[0]}"#,
                    #"{"exclude_authid":[1]}"#, #"{"eligible_authrole":"admin"}"#, #"{"exclude_me":"no"}"#,
                    #"{"disclose_me":1}"#, #"{"retain":"yes"}"#, #"{"ppt_cipher":"aes256gcm"}"#,
                    #"{"ppt_scheme":""}"#, #"{"ppt_scheme":"mqtt","ppt_serializer":3}"#] {
            peer.clear()
            let withAck = bad.dropLast() + #","acknowledge":true}"#
            XCTAssertNotNil(publish(publisher, "com.t", String(withAck), request: 5), bad)
            guard case .error(let error)? = peer.last else { XCTFail("no ERROR for \(bad)"); continue }
            XCTAssertEqual(error.error, "wamp.error.invalid_argument", bad)
            XCTAssertEqual(error.requestType, .publish)
            XCTAssertEqual(error.request, 5)
            peer.clear()
            XCTAssertNotNil(publish(publisher, "com.t", bad), "refusal reported to the caller: \(bad)")
            XCTAssertTrue(peer.messages.isEmpty, "no answer without acknowledge: \(bad)")
        }
        XCTAssertTrue(subscriberPeer.messages.isEmpty, "nothing refused was delivered")
    }

    // MARK: payload_passthru_mode

    func testPassthruOptionsAreCopiedIntoEventDetails() throws {
        let (publisher, _) = join(1)
        let (subscriber, peer) = join(2)
        subscribe(subscriber, peer, "com.t")
        peer.clear()
        let payload = #"["\u0000AAEC"]"#
        publish(publisher, "com.t", #"{"ppt_scheme":"wamp","ppt_serializer":"cbor","ppt_cipher":"xsalsa20poly1305","ppt_keyid":"k1"}"#, args: payload)
        let event = try XCTUnwrap(events(peer).first)
        XCTAssertEqual(keys(event.details), ["ppt_scheme": "\"wamp\"", "ppt_serializer": "\"cbor\"",
                                             "ppt_cipher": "\"xsalsa20poly1305\"", "ppt_keyid": "\"k1\""])
        XCTAssertEqual(event.payload.arguments?.description, payload, "payload bytes untouched")
        peer.clear()
        publish(publisher, "com.t", #"{"ppt_scheme":"mqtt"}"#)
        XCTAssertEqual(keys(try XCTUnwrap(events(peer).first).details), ["ppt_scheme": "\"mqtt\""])
    }

    func testPassthruFromAPublisherThatDidNotAnnounceItIsAProtocolViolation() {
        let (plain, _) = join(1)
        let (announced, _) = join(2, roles: #"{"publisher":{"features":{"payload_passthru_mode":true}}}"#)
        let message = Publish(request: 1, options: options(#"{"ppt_scheme":"mqtt"}"#), topic: "com.t")
        XCTAssertNotNil(Broker.passthruViolation(message, from: plain))
        XCTAssertNil(Broker.passthruViolation(message, from: announced))
        XCTAssertNil(Broker.passthruViolation(Publish(request: 1, options: options(), topic: "com.t"), from: plain))
    }

    // MARK: pattern_based_subscription

    func testOneEventPerMatchingSubscriptionWithTopicOnlyForPatterns() throws {
        let (publisher, _) = join(1)
        let (subscriber, peer) = join(2)
        let exact = try XCTUnwrap(subscribe(subscriber, peer, "com.myapp.topic.emergency"))
        let prefix = try XCTUnwrap(subscribe(subscriber, peer, "com.myapp", #"{"match":"prefix"}"#))
        let wildcard = try XCTUnwrap(subscribe(subscriber, peer, "com.myapp..emergency", #"{"match":"wildcard"}"#))
        XCTAssertEqual(Set([exact, prefix, wildcard]).count, 3)
        peer.clear()

        publish(publisher, "com.myapp.topic.emergency", args: "[\"hi\"]")
        let received = events(peer)
        XCTAssertEqual(received.count, 3)
        XCTAssertEqual(Set(received.map(\.subscription)), [exact, prefix, wildcard])
        XCTAssertEqual(Set(received.map(\.publication)).count, 1, "one publication ID across subscriptions")
        for event in received {
            let expected = event.subscription == exact ? [:] : ["topic": "\"com.myapp.topic.emergency\""]
            XCTAssertEqual(keys(event.details), expected)
            XCTAssertEqual(event.payload.arguments?.description, "[\"hi\"]")
        }

        peer.clear()
        publish(publisher, "com.myapp.topic.emergency-low")
        XCTAssertEqual(events(peer).map(\.subscription), [prefix])
        peer.clear()
        publish(publisher, "com.myapp.x.emergency.more")
        XCTAssertEqual(events(peer).map(\.subscription), [prefix])
        peer.clear()
        publish(publisher, "com.other")
        XCTAssertTrue(peer.messages.isEmpty)
    }

    func testAPatternSubscriptionThatGoesStopsMatching() throws {
        let (subscriber, peer) = join(1)
        let (holder, holderPeer) = join(2)
        let (publisher, _) = join(3)
        for id in 1...500 { subscribe(holder, holderPeer, "x\(id).", #"{"match":"wildcard"}"#, request: WampID(id)) }
        let prefix = try XCTUnwrap(subscribe(subscriber, peer, "com.a", #"{"match":"prefix"}"#))
        let wildcard = try XCTUnwrap(subscribe(subscriber, peer, ".ab", #"{"match":"wildcard"}"#, request: 2))
        peer.clear()
        publish(publisher, "com.ab")
        XCTAssertEqual(Set(events(peer).map(\.subscription)), [prefix, wildcard])
        broker.unsubscribe(Unsubscribe(request: 3, subscription: prefix), from: subscriber)
        peer.clear()
        publish(publisher, "com.ab")
        XCTAssertEqual(events(peer).map(\.subscription), [wildcard])
        realm.leave(subscriber)
        let (late, latePeer) = join(4)
        XCTAssertNotNil(subscribe(late, latePeer, "org", #"{"match":"prefix"}"#))
        latePeer.clear()
        publish(publisher, "com.ab")
        publish(publisher, "org.x", request: 2)
        XCTAssertEqual(events(latePeer).count, 1)
        XCTAssertTrue(events(holderPeer).isEmpty)
    }

    func testPatternSubscriptionsAreSharedPerTopicAndPolicy() throws {
        let (a, peerA) = join(1)
        let (b, peerB) = join(2)
        let (publisher, _) = join(3)
        let first = try XCTUnwrap(subscribe(a, peerA, "com.x", #"{"match":"prefix"}"#))
        XCTAssertEqual(subscribe(b, peerB, "com.x", #"{"match":"prefix"}"#), first)
        XCTAssertNotEqual(subscribe(b, peerB, "com.x", request: 2), first, "exact com.x is another subscription")
        XCTAssertNotEqual(subscribe(b, peerB, "com.x", #"{"match":"wildcard"}"#, request: 3), first)
        XCTAssertEqual(broker.subscriptionCount, 3)
        peerA.clear(); peerB.clear()
        publish(publisher, "com.x.y")
        XCTAssertEqual(peerA.buffers.count, 1)
        XCTAssertEqual(peerB.buffers.count, 1)
        let storage = [peerA, peerB].map { $0.buffers[0].withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) } }
        XCTAssertEqual(Set(storage).count, 1, "subscribers of one pattern subscription share the bytes")
    }

    func testPatternTopicsAreValidatedPerPolicy() {
        let (session, peer) = join(1)
        func answer(_ topic: String, _ opts: String) -> String {
            peer.clear()
            broker.subscribe(Subscribe(request: 1, options: options(opts), topic: topic), from: session)
            switch peer.last {
            case .subscribed?: return "ok"
            case .error(let error)?: return error.error
            default: return "?"
            }
        }
        XCTAssertEqual(answer("com..b", #"{"match":"wildcard"}"#), "ok")
        XCTAssertEqual(answer("com..b", "{}"), "wamp.error.invalid_uri")
        XCTAssertEqual(answer("com..b", #"{"match":"prefix"}"#), "wamp.error.invalid_uri")
        XCTAssertEqual(answer("com.a b", #"{"match":"wildcard"}"#), "wamp.error.invalid_uri")
        XCTAssertEqual(answer("com", #"{"match":"regex"}"#), "wamp.error.invalid_argument")
        XCTAssertEqual(answer("com", #"{"match":1}"#), "wamp.error.invalid_argument")
        XCTAssertEqual(answer("com", #"{"match":"exact"}"#), "ok")
    }

    func testPublisherExclusionAppliesToPatternSubscriptions() {
        let (publisher, peer) = join(1)
        subscribe(publisher, peer, "com", #"{"match":"prefix"}"#)
        peer.clear()
        publish(publisher, "com.t")
        XCTAssertTrue(peer.messages.isEmpty)
        publish(publisher, "com.t", #"{"exclude_me":false}"#)
        XCTAssertEqual(events(peer).count, 1)
    }

    // MARK: subscription_revocation

    func testRevocationSendsUnsubscribedWithDetailsOnlyToPeersThatAnnouncedIt() throws {
        let (revocable, peerR) = join(1, roles: #"{"subscriber":{"features":{"subscription_revocation":true}}}"#)
        let (plain, peerP) = join(2)
        let (publisher, _) = join(3)
        let subscription = try XCTUnwrap(subscribe(revocable, peerR, "com.t"))
        subscribe(plain, peerP, "com.t")
        peerR.clear(); peerP.clear()

        XCTAssertTrue(broker.removeSubscriber(1, from: subscription, reason: "no longer authorized"))
        XCTAssertEqual(peerR.texts, [#"[35,0,{"subscription":\#(subscription),"reason":"no longer authorized"}]"#])
        guard case .unsubscribed(let unsubscribed)? = peerR.last else { return XCTFail() }
        XCTAssertEqual(unsubscribed.request, 0)

        XCTAssertTrue(broker.removeSubscriber(2, from: subscription, reason: nil))
        XCTAssertTrue(peerP.messages.isEmpty, "no UNSUBSCRIBED to a subscriber without the feature")
        XCTAssertFalse(broker.removeSubscriber(2, from: subscription, reason: nil))
        XCTAssertEqual(broker.subscriptionCount, 0)
        publish(publisher, "com.t")
        XCTAssertTrue(peerR.messages.count == 1 && peerP.messages.isEmpty)
    }

    func testRevocationWithoutReasonHasOnlyTheSubscription() throws {
        let (session, peer) = join(1, roles: #"{"subscriber":{"features":{"subscription_revocation":true}}}"#)
        let subscription = try XCTUnwrap(subscribe(session, peer, "com.t"))
        peer.clear()
        broker.removeSubscriber(1, from: subscription, reason: nil)
        XCTAssertEqual(peer.texts, [#"[35,0,{"subscription":\#(subscription)}]"#])
    }
}
