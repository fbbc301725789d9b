import Cluster
import NATSTestSupport
import Realm
import WampMessages
import XCTest

/// Two or three realms, each with its own `ClusterNode`, against one real nats-server.
final class ClusterPubSubTests: ClusterNodeTestCase {
    private func arguments(_ events: [Event]) -> [String] { events.map { $0.payload.arguments?.description ?? "-" } }

    func testExactPrefixAndWildcardReachAnotherNode() async throws {
        let nodes = try await nodes(2)
        let (publisher, _) = nodes[0].join()
        let (exact, exactPeer) = nodes[1].join()
        let (prefix, prefixPeer) = nodes[1].join()
        let (wildcard, wildcardPeer) = nodes[1].join()
        _ = try await nodes[1].subscribe(exact, exactPeer, "com.a.b")
        _ = try await nodes[1].subscribe(prefix, prefixPeer, "com.a.b", match: "prefix")
        _ = try await nodes[1].subscribe(wildcard, wildcardPeer, "com..b", match: "wildcard")
        for (index, topic) in ["com.a.b", "com.a.bx", "com.x.b", "com.a.c.d", "com.a.b.z"].enumerated() {
            nodes[0].publish(publisher, topic, arguments: "[\(index)]")
        }
        try await eventually("prefix events") { prefixPeer.events.count == 3 }
        try await eventually("wildcard events") { wildcardPeer.events.count == 2 }
        try await eventually("exact events") { exactPeer.events.count == 1 }
        XCTAssertEqual(arguments(exactPeer.events), ["[0]"])
        XCTAssertEqual(arguments(prefixPeer.events), ["[0]", "[1]", "[4]"])
        XCTAssertEqual(arguments(wildcardPeer.events), ["[0]", "[2]"])
        XCTAssertEqual(prefixPeer.events.map { $0.details.string("topic") }, ["com.a.b", "com.a.bx", "com.a.b.z"])
        XCTAssertNil(exactPeer.events[0].details.string("topic"))
        // com.a.c.d came through the prefix's NATS subscription (com.a.>) and was filtered here.
        XCTAssertEqual(nodes[1].node.counters.prefixFiltered.load(ordering: .relaxed), 1)
        // One NATS subscription per WAMP subscription on node 2, none on node 1.
        XCTAssertEqual(nodes[1].relays["r1"]!.natsSubscriptionCount, 3)
        XCTAssertEqual(nodes[0].relays["r1"]!.natsSubscriptionCount, 0)
        await stop(nodes)
    }

    func testOneCopyPerNodeAndNoEcho() async throws {
        let nodes = try await nodes(2)
        let (publisher, publisherPeer) = nodes[0].join()
        let (local, localPeer) = nodes[0].join()
        let (remote1, remote1Peer) = nodes[1].join()
        let (remote2, remote2Peer) = nodes[1].join()
        _ = try await nodes[0].subscribe(publisher, publisherPeer, "t.echo")
        _ = try await nodes[0].subscribe(local, localPeer, "t.echo")
        _ = try await nodes[1].subscribe(remote1, remote1Peer, "t.echo")
        _ = try await nodes[1].subscribe(remote2, remote2Peer, "t.echo")
        nodes[0].publish(publisher, "t.echo", options: #"{"exclude_me": false}"#, arguments: "[1]")
        nodes[0].publish(publisher, "t.echo", arguments: "[2]")
        try await eventually("remote events") { remote1Peer.events.count == 2 && remote2Peer.events.count == 2 }
        try await Task.sleep(for: .milliseconds(200))
        XCTAssertEqual(arguments(publisherPeer.events), ["[1]"], "its own publication once, never back from NATS")
        XCTAssertEqual(arguments(localPeer.events), ["[1]", "[2]"])
        XCTAssertEqual(arguments(remote1Peer.events), ["[1]", "[2]"])
        XCTAssertEqual(nodes[1].node.counters.eventsReceived.load(ordering: .relaxed), 2, "one copy per node, not per subscriber")
        XCTAssertEqual(nodes[0].node.counters.eventsReceived.load(ordering: .relaxed), 0)
        await stop(nodes)
    }

    func testListsAndDisclosureApplyOnTheReceivingNode() async throws {
        let nodes = try await nodes(2)
        let (publisher, _) = nodes[0].join(authid: "pat", authrole: "pub")
        let (alice, alicePeer) = nodes[1].join(authid: "alice", authrole: "admin")
        let (bob, bobPeer) = nodes[1].join(authid: "bob", authrole: "user")
        let (carol, carolPeer) = nodes[1].join(authid: "carol", authrole: "user")
        for (session, peer) in [(alice, alicePeer), (bob, bobPeer), (carol, carolPeer)] {
            _ = try await nodes[1].subscribe(session, peer, "t.lists")
        }
        nodes[0].publish(publisher, "t.lists", options: "{\"exclude\": [\(alice.id)]}", arguments: "[1]")
        nodes[0].publish(publisher, "t.lists", options: #"{"eligible_authid": ["bob"]}"#, arguments: "[2]")
        nodes[0].publish(publisher, "t.lists", options: #"{"exclude_authrole": ["user"]}"#, arguments: "[3]")
        nodes[0].publish(publisher, "t.lists", options: "{\"eligible\": [\(carol.id), \(bob.id)], \"exclude_authid\": [\"bob\"]}",
                         arguments: "[4]")
        nodes[0].publish(publisher, "t.lists", options: #"{"disclose_me": true, "eligible_authrole": ["admin"]}"#, arguments: "[5]")
        try await eventually("alice's events") { alicePeer.events.count == 2 }
        try await eventually("carol's events") { carolPeer.events.count == 2 }
        try await eventually("bob's events") { bobPeer.events.count == 2 }
        XCTAssertEqual(arguments(alicePeer.events), ["[3]", "[5]"])
        XCTAssertEqual(arguments(bobPeer.events), ["[1]", "[2]"])
        XCTAssertEqual(arguments(carolPeer.events), ["[1]", "[4]"])
        let disclosed = alicePeer.events[1].details
        XCTAssertEqual(disclosed.integer("publisher"), Int64(publisher.id))
        XCTAssertEqual(disclosed.string("publisher_authid"), "pat")
        XCTAssertEqual(disclosed.string("publisher_authrole"), "pub")
        XCTAssertNil(alicePeer.events[0].details.integer("publisher"))
        await stop(nodes)
    }

    func testOrderPerPublisherAndIDsCarryTheSlot() async throws {
        let nodes = try await nodes(3)
        XCTAssertEqual(Set(nodes.map(\.node.slot)).count, 3)
        let (first, _) = nodes[0].join()
        let (second, _) = nodes[1].join()
        XCTAssertEqual(IDGenerator.slot(of: first.id), nodes[0].node.slot)
        XCTAssertEqual(IDGenerator.slot(of: second.id), nodes[1].node.slot)
        let (subscriber, peer) = nodes[2].join()
        _ = try await nodes[2].subscribe(subscriber, peer, "t.order")
        let count = 300
        for index in 0..<count {
            nodes[0].publish(first, "t.order", arguments: "[\"a\",\(index)]")
            nodes[1].publish(second, "t.order", arguments: "[\"b\",\(index)]")
        }
        try await eventually("every event") { peer.events.count == 2 * count }
        let events = peer.events
        for (name, node) in [("a", nodes[0]), ("b", nodes[1])] {
            let mine = events.filter { $0.payload.arguments!.description.hasPrefix("[\"\(name)\"") }
            XCTAssertEqual(mine.map(\.payload.arguments!.description), (0..<count).map { "[\"\(name)\",\($0)]" })
            XCTAssertTrue(mine.allSatisfy { IDGenerator.slot(of: $0.publication) == node.node.slot })
        }
        XCTAssertEqual(Set(events.map(\.publication)).count, 2 * count, "publication IDs unique across nodes")
        await stop(nodes)
    }

    func testAcknowledgeAndPayloadsInEverySerialization() async throws {
        let nodes = try await nodes(2)
        let (publisher, publisherPeer) = nodes[0].join(serialization: .msgpack)
        let (json, jsonPeer) = nodes[1].join(serialization: .json)
        let (cbor, cborPeer) = nodes[1].join(serialization: .cbor)
        _ = try await nodes[1].subscribe(json, jsonPeer, "t.ack")
        _ = try await nodes[1].subscribe(cbor, cborPeer, "t.ack")
        let payload = try Payload(arguments: RawJSON(#"[1, "two", {"x": [true, null, 2.5]}]"#), argumentsKw: RawJSON(#"{"k": "v"}"#))
            .converted(to: .msgpack)
        nodes[0].realm.broker.publish(Publish(request: 7, options: JSONValue.parse(#"{"acknowledge": true, "ppt_scheme": "x", "ppt_serializer": "native"}"#)!,
                                              topic: "t.ack", payload: payload), from: publisher)
        try await eventually("PUBLISHED") {
            publisherPeer.messages.contains { if case .published(let published) = $0 { published.request == 7 } else { false } }
        }
        try await eventually("both events") { jsonPeer.events.count == 1 && cborPeer.events.count == 1 }
        for event in jsonPeer.events + cborPeer.events {
            XCTAssertEqual(event.payload.arguments?.description, #"[1,"two",{"x":[true,null,2.5]}]"#)
            XCTAssertEqual(event.payload.argumentsKw?.description, #"{"k":"v"}"#)
            XCTAssertEqual(event.details.string("ppt_scheme"), "x")
        }
        XCTAssertEqual(cborPeer.events[0].payload.serialization, .cbor)
        await stop(nodes)
    }

    /// PUBLISHED for a retained event means every live node stored it: a get_retained SUBSCRIBE
    /// right after, on a node that had no subscriber for the topic, gets it.
    func testARetainedEventReachesAGetRetainedSubscriberOnAnotherNode() async throws {
        let nodes = try await nodes(3)
        // The newest node knows the others from their slots at once (an older one learns a new
        // node from its first heartbeat), so it publishes.
        let (publisher, publisherPeer) = nodes[2].join()
        for (round, value) in ["[1]", "[2]"].enumerated() {
            let request = WampID(round + 10)
            nodes[2].publish(publisher, "t.kept", request: request, options: #"{"retain": true, "acknowledge": true, "disclose_me": true}"#,
                             arguments: value)
            try await eventually("PUBLISHED \(request)") {
                publisherPeer.messages.contains { if case .published(let published) = $0 { published.request == request } else { false } }
            }
            // Stored on both other nodes before the answer, subscribers or not.
            XCTAssertEqual(nodes[0].node.counters.retainedReceived.load(ordering: .relaxed), round + 1)
            XCTAssertEqual(nodes[1].node.counters.retainedReceived.load(ordering: .relaxed), round + 1)
            let (subscriber, peer) = nodes[round].join()
            _ = try await nodes[round].subscribe(subscriber, peer, "t.kept", getRetained: true)
            try await eventually("retained event") { peer.events.count == 1 }
            // The latest retained event replaced the first, with the publisher's disclosure.
            XCTAssertEqual(arguments(peer.events), [value])
            XCTAssertEqual(peer.events[0].details.bool("retained"), true)
            XCTAssertEqual(peer.events[0].details.integer("publisher").map { WampID($0) }, publisher.id)
        }
        // An unretained publication is not stored by the other nodes and leaves the retained
        // event as it was.
        nodes[2].publish(publisher, "t.kept", request: 20, options: #"{"acknowledge": true}"#, arguments: "[3]")
        try await eventually("PUBLISHED 20") {
            publisherPeer.messages.contains { if case .published(let published) = $0 { published.request == 20 } else { false } }
        }
        XCTAssertEqual(nodes[1].node.counters.retainedReceived.load(ordering: .relaxed), 2)
        let (late, latePeer) = nodes[0].join()
        _ = try await nodes[0].subscribe(late, latePeer, "t.kept", getRetained: true)
        try await eventually("retained event") { latePeer.events.count == 1 }
        XCTAssertEqual(arguments(latePeer.events), ["[2]"])
        await stop(nodes)
    }

    func testANodeThatStartsLaterHasTheRetainedEventsPublishedBefore() async throws {
        let first = try await nodes(2)
        let (publisher, publisherPeer) = first[0].join()
        for (index, topic) in ["t.a", "t.b", "t.a"].enumerated() {
            let request = WampID(index + 1)
            first[0].publish(publisher, topic, request: request, options: #"{"retain": true, "acknowledge": true}"#, arguments: "[\(index)]")
            try await eventually("PUBLISHED \(request)") {
                publisherPeer.messages.contains { if case .published(let published) = $0 { published.request == request } else { false } }
            }
        }
        let late = try await TestNode.start("n3", servers: [server.url])
        // Taken from the lowest live slot's snapshot before `share` returned.
        XCTAssertEqual(late.node.counters.retainedFilled.load(ordering: .relaxed), 2)
        let (subscriber, peer) = late.join()
        _ = try await late.subscribe(subscriber, peer, "t", match: "prefix", getRetained: true)
        try await eventually("retained events") { peer.events.count == 2 }
        XCTAssertEqual(Set(arguments(peer.events)), ["[1]", "[2]"], "each topic's latest, none replaced by an older one")
        XCTAssertTrue(peer.events.allSatisfy { $0.details.bool("retained") == true })
        await stop(first + [late])
    }

    func testASnapshotDoesNotReplaceARetainedEventThatCameLive() async throws {
        let nodes = try await nodes(2)
        let (publisher, publisherPeer) = nodes[0].join()
        nodes[0].publish(publisher, "t.x", request: 1, options: #"{"retain": true, "acknowledge": true}"#, arguments: "[1]")
        try await eventually("PUBLISHED") { publisherPeer.messages.contains { if case .published = $0 { true } else { false } } }
        // What node 1 would get in a snapshot arriving late: an older event of a topic it has.
        var older = RelayedPublication(publication: 99, topic: "t.x", payload: Payload(arguments: RawJSON("[0]")), publisher: 7)
        older.retain = true
        XCTAssertFalse(nodes[1].realm.broker.fillRetained(older))
        var other = older
        other.topic = "t.y"
        XCTAssertTrue(nodes[1].realm.broker.fillRetained(other))
        let (subscriber, peer) = nodes[1].join()
        _ = try await nodes[1].subscribe(subscriber, peer, "t.x", getRetained: true)
        try await eventually("retained event") { peer.events.count == 1 }
        XCTAssertEqual(arguments(peer.events), ["[1]"])
        await stop(nodes)
    }

    func testAcknowledgedPublicationsPastTheFlushBoundAreRefusedAtOnce() async throws {
        let node = try await TestNode.start("n1", servers: [server.url]) { $0.maxPendingFlushes = 3 }
        let (publisher, peer) = node.join()
        // A server that answers no PING: the first acknowledged publication's flush stays in
        // flight, three more wait for the next one, and the fifth is over the bound.
        server.pause()
        for request in 1...5 {
            node.publish(publisher, "t.bound", request: WampID(request), options: #"{"acknowledge": true}"#)
        }
        try await eventually("the refusal") { !peer.errors.isEmpty }
        XCTAssertEqual(peer.errors.map(\.request), [5])
        XCTAssertEqual(peer.errors.first?.error, "wamp.error.cluster_unavailable")
        server.resume()
        try await eventually("the others PUBLISHED") {
            peer.messages.filter { if case .published = $0 { true } else { false } }.count == 4
        }
        XCTAssertEqual(peer.errors.count, 1)
        await node.node.stop()
    }

    func testSubscribedMeansTheNextPublishElsewhereArrives() async throws {
        let nodes = try await nodes(2)
        let (publisher, _) = nodes[0].join()
        let (subscriber, peer) = nodes[1].join()
        for index in 0..<30 {
            _ = try await nodes[1].subscribe(subscriber, peer, "t.fresh.\(index)")
            nodes[0].publish(publisher, "t.fresh.\(index)", arguments: "[\(index)]")
        }
        try await eventually("30 events") { peer.events.count == 30 }
        XCTAssertEqual(arguments(peer.events), (0..<30).map { "[\($0)]" })
        await stop(nodes)
    }

    func testUnsubscribeDropsTheNATSSubscription() async throws {
        let nodes = try await nodes(2)
        let (subscriber, peer) = nodes[1].join()
        let id = try await nodes[1].subscribe(subscriber, peer, "t.gone")
        XCTAssertEqual(nodes[1].relays["r1"]!.natsSubscriptionCount, 1)
        nodes[1].realm.broker.unsubscribe(Unsubscribe(request: 2, subscription: id), from: subscriber)
        XCTAssertEqual(nodes[1].relays["r1"]!.natsSubscriptionCount, 0)
        let (other, otherPeer) = nodes[1].join()
        _ = try await nodes[1].subscribe(other, otherPeer, "t.gone")
        nodes[1].realm.leave(other)
        XCTAssertEqual(nodes[1].relays["r1"]!.natsSubscriptionCount, 0, "a leaving session's subscriptions go too")
        await stop(nodes)
    }

    func testNATSDownAndBack() async throws {
        let nodes = try await nodes(2)
        let (publisher, publisherPeer) = nodes[0].join()
        let (local, localPeer) = nodes[0].join()
        let (remote, remotePeer) = nodes[1].join()
        _ = try await nodes[0].subscribe(local, localPeer, "t.down")
        _ = try await nodes[1].subscribe(remote, remotePeer, "t.down")
        let slots = nodes.map(\.node.slot)
        let reconnected = LostSlots()
        nodes[0].node.whenNodeReconnected { reconnected.add($0) }
        try await eventually("node 2's heartbeats") { nodes[0].node.liveSlots() == [slots[1]] }
        server.stop()
        try await eventually("disconnected") { !nodes[0].node.isConnected && !nodes[1].node.isConnected }
        nodes[0].publish(publisher, "t.down", arguments: "[1]")
        nodes[0].publish(publisher, "t.down", request: 9, options: #"{"acknowledge": true}"#, arguments: "[2]")
        XCTAssertEqual(arguments(localPeer.events), ["[1]", "[2]"], "local delivery goes on")
        try await eventually("ERROR for the acknowledged one") {
            publisherPeer.messages.contains {
                if case .error(let error) = $0 { error.request == 9 && error.error == ErrorURI.clusterUnavailable } else { false }
            }
        }
        XCTAssertEqual(nodes[0].node.counters.publicationsUnshared.load(ordering: .relaxed), 2)
        // A new topic cannot get cluster interest now: refused, said so.
        nodes[1].realm.broker.subscribe(Subscribe(request: 5, options: .emptyObject, topic: "t.new"), from: remote)
        try await eventually("SUBSCRIBE refused") {
            remotePeer.messages.contains {
                if case .error(let error) = $0 { error.request == 5 && error.error == ErrorURI.clusterUnavailable } else { false }
            }
        }
        XCTAssertEqual(nodes[1].relays["r1"]!.natsSubscriptionCount, 1, "the refused SUBSCRIBE holds no NATS subscription")
        try server.start()
        try await eventually("reconnected", timeout: .seconds(10)) { nodes[0].node.isConnected && nodes[1].node.isConnected }
        // The NATS client re-subscribed: node 2's subscription hears node 1 again.
        try await eventually("an event after the outage", timeout: .seconds(5)) {
            nodes[0].publish(publisher, "t.down", arguments: "[3]")
            return remotePeer.events.contains { $0.payload.arguments?.description == "[3]" }
        }
        XCTAssertFalse(remotePeer.events.contains { $0.payload.arguments?.description == "[1]" }, "nothing kept while down")
        XCTAssertEqual(nodes.map(\.node.slot), slots, "each node keeps its slot")
        try await eventually("node 2's heartbeat says it reconnected") { reconnected.slots == [slots[1]] }
        await stop(nodes)
    }

    /// A node that starts knows the nodes already holding slots before any heartbeat of theirs
    /// reaches it (heartbeats every 10 s here), so what it answers at once is announced to them.
    func testANewNodeKnowsTheNodesThatHoldSlotsBeforeTheirHeartbeats() async throws {
        let first = try await TestNode.start("early", servers: [server.url], timeout: .seconds(50))
        let second = try await TestNode.start("late", servers: [server.url], timeout: .seconds(50))
        XCTAssertEqual(second.node.liveSlots(), [first.node.slot])
        await stop([first, second])
    }

    func testALostNodeIsReported() async throws {
        let nodes = try await nodes(3)
        let lost = LostSlots()
        nodes[0].node.whenNodeLost { lost.add($0) }
        try await eventually("all live") { nodes[0].node.liveSlots().count == 2 }
        let victim = nodes[2].node.slot
        await nodes[2].node.stop()
        try await eventually("node lost", timeout: .seconds(5)) { lost.slots == [victim] }
        XCTAssertEqual(nodes[0].node.liveSlots(), [nodes[1].node.slot])
        await stop(Array(nodes.prefix(2)))
    }
}

final class LostSlots: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Int] = []
    func add(_ slot: Int) { lock.withLock { values.append(slot) } }
    var slots: [Int] { lock.withLock { values } }
}
