import Cluster
import NATSTestSupport
import Realm
import WampMessages
import XCTest

/// The session and registration meta API answered for the whole cluster by the node asked.
final class ClusterMetaQueryTests: ClusterNodeTestCase {
    private func ids(_ answer: MetaAnswer) -> Set<Int64> {
        Set(JSONValue.parse(answer.arguments ?? "[]")?.element(0)?.integerArray ?? [])
    }

    func testSessionCountListAndGetAnswerForEveryNode() async throws {
        let nodes = try await liveNodes(3)
        let (asker, askerPeer) = nodes[0].join(authrole: "admin")
        let (second, _) = nodes[1].join(authrole: "user")
        let (third, _) = nodes[2].join(authid: "third", authrole: "user")
        let (guest, _) = nodes[2].join(authrole: "guest")

        let count = try await nodes[0].meta(asker, askerPeer, "wamp.session.count")
        XCTAssertEqual(count.arguments, "[4]")
        XCTAssertNil(count.kwargs, "every node answered")
        let users = try await nodes[0].meta(asker, askerPeer, "wamp.session.count", args: #"[["user"]]"#)
        XCTAssertEqual(users.arguments, "[2]")
        let list = try await nodes[0].meta(asker, askerPeer, "wamp.session.list")
        XCTAssertEqual(ids(list), Set([asker, second, third, guest].map { Int64($0.id) }))
        let guests = try await nodes[0].meta(asker, askerPeer, "wamp.session.list", args: #"[["guest"]]"#)
        XCTAssertEqual(ids(guests), [Int64(guest.id)])

        let details = try await nodes[0].meta(asker, askerPeer, "wamp.session.get", args: "[\(third.id)]")
        let object = JSONValue.parse(details.arguments ?? "[]")?.element(0)
        XCTAssertEqual(object?.integer("session"), Int64(third.id))
        XCTAssertEqual(object?.string("authid"), "third")
        XCTAssertEqual(object?.string("authrole"), "user")
        let missing = try await nodes[0].meta(asker, askerPeer, "wamp.session.get", args: "[12345]")
        XCTAssertEqual(missing.error, ErrorURI.noSuchSession)
        XCTAssertNil(missing.kwargs)
        let bad = try await nodes[0].meta(asker, askerPeer, "wamp.session.count", args: "[7]")
        XCTAssertEqual(bad.error, ErrorURI.invalidArgument)

        // A change shows in the very next query (each node answers from its live table).
        nodes[2].realm.leave(guest)
        let after = try await nodes[0].meta(asker, askerPeer, "wamp.session.count")
        XCTAssertEqual(after.arguments, "[3]")
        for node in nodes { await node.node.stop() }
    }

    func testSubscribersOfASubscriptionAreListedAndCountedForEveryNode() async throws {
        let nodes = try await liveNodes(3)
        var subscribers: [RealmSession] = []
        var subscription: WampID = 0
        for node in nodes {
            let (session, peer) = node.join()
            subscription = try await node.subscribe(session, peer, "com.meta.subscribed")
            subscribers.append(session)
        }
        let (second, secondPeer) = nodes[1].join()
        _ = try await nodes[1].subscribe(second, secondPeer, "com.meta.subscribed")
        subscribers.append(second)
        let (asker, askerPeer) = nodes[0].join()

        let list = try await nodes[0].meta(asker, askerPeer, "wamp.subscription.list_subscribers", args: "[\(subscription)]")
        XCTAssertEqual(ids(list), Set(subscribers.map { Int64($0.id) }))
        XCTAssertNil(list.kwargs, "every node answered")
        let count = try await nodes[0].meta(asker, askerPeer, "wamp.subscription.count_subscribers", args: "[\(subscription)]")
        XCTAssertEqual(count.arguments, "[4]")
        let missing = try await nodes[0].meta(asker, askerPeer, "wamp.subscription.count_subscribers", args: "[12345]")
        XCTAssertEqual(missing.error, ErrorURI.noSuchSubscription)

        // A node that has no subscriber of its own asks the others too.
        let (far, farPeer) = nodes[2].join()
        nodes[2].realm.leave(subscribers[2])
        let fromThird = try await nodes[2].meta(far, farPeer, "wamp.subscription.count_subscribers", args: "[\(subscription)]")
        XCTAssertEqual(fromThird.arguments, "[3]")
        // remove_subscriber reaches the node that has the subscriber.
        let removed = try await nodes[0].meta(asker, askerPeer, "wamp.subscription.remove_subscriber",
                                              args: "[\(subscription), \(second.id)]")
        XCTAssertNil(removed.error)
        let again = try await nodes[0].meta(asker, askerPeer, "wamp.subscription.remove_subscriber",
                                            args: "[\(subscription), \(second.id)]")
        XCTAssertEqual(again.error, ErrorURI.noSuchSession)
        let afterRemoval = try await nodes[0].meta(asker, askerPeer, "wamp.subscription.count_subscribers", args: "[\(subscription)]")
        XCTAssertEqual(afterRemoval.arguments, "[2]")
        nodes[1].sessionQueries.stopAnswering()
        let partial = try await nodes[0].meta(asker, askerPeer, "wamp.subscription.list_subscribers", args: "[\(subscription)]")
        XCTAssertEqual(ids(partial), [Int64(subscribers[0].id)])
        XCTAssertEqual(partial.kwargs?.value("partial")?.stringArray, ["n2"])
        for node in nodes { await node.node.stop() }
    }

    func testKillProceduresReachTheSessionsOfEveryNode() async throws {
        let nodes = try await liveNodes(3)
        let (asker, askerPeer) = nodes[0].join(authid: "ops", authrole: "admin")
        let (far, farPeer) = nodes[2].join(authid: "far", authrole: "user")
        let (twin1, twin1Peer) = nodes[1].join(authid: "twin", authrole: "user")
        let (twin2, twin2Peer) = nodes[2].join(authid: "twin", authrole: "guest")
        let (own, ownPeer) = nodes[0].join(authid: "own", authrole: "guest")

        let killed = try await nodes[0].meta(asker, askerPeer, "wamp.session.kill", args: "[\(far.id)]")
        XCTAssertNil(killed.error)
        XCTAssertEqual(farPeer.kills, [ErrorURI.killed])
        let missing = try await nodes[0].meta(asker, askerPeer, "wamp.session.kill", args: "[12345]")
        XCTAssertEqual(missing.error, ErrorURI.noSuchSession)

        let twins = try await nodes[0].meta(asker, askerPeer, "wamp.session.kill_by_authid", args: #"["twin"]"#)
        XCTAssertEqual(ids(twins), [Int64(twin1.id), Int64(twin2.id)])
        XCTAssertEqual(twin1Peer.kills.count + twin2Peer.kills.count, 2)
        // Sessions that were killed stay joined in this test (their peers do not close), so the
        // role count sees them too: one guest on node 3 (twin2) and one on node 1 (own).
        let guests = try await nodes[0].meta(asker, askerPeer, "wamp.session.kill_by_authrole", args: #"["guest"]"#)
        XCTAssertEqual(guests.arguments, "[2]")
        XCTAssertEqual(ownPeer.kills.count, 1)
        let all = try await nodes[1].meta(twin1, twin1Peer, "wamp.session.kill_all", args: "[]")
        XCTAssertEqual(all.arguments, "[4]", "everyone but the caller, on three nodes")
        XCTAssertTrue(askerPeer.kills.contains(ErrorURI.killed))
        XCTAssertEqual(twin1Peer.kills.count, 1, "the caller is not killed")
        _ = (own, twin2)
        for node in nodes { await node.node.stop() }
    }

    func testGetEventsMergesTheHistoryOfEveryNode() async throws {
        var nodes: [TestNode] = []
        for index in 1...3 {
            nodes.append(try await TestNode.start("n\(index)", servers: [server.url], eventHistory: [(prefix: "com.hist", limit: 10)]))
        }
        try await eventually("every node live to every other") { nodes.allSatisfy { $0.node.liveSlots().count == 2 } }
        let (subscriber, subscriberPeer) = nodes[2].join()
        let subscription = try await nodes[2].subscribe(subscriber, subscriberPeer, "com.hist.t")
        let publishers = [nodes[0].join(), nodes[1].join()]
        for (index, node) in [0, 1, 0].enumerated() {
            nodes[node].publish(publishers[node].0, "com.hist.t", request: WampID(index + 1), options: #"{"acknowledge": true}"#,
                                arguments: "[\(index)]")
            _ = await publishers[node].1.wait("PUBLISHED \(index + 1)", { $0.messages.filter {
                if case .published(let published) = $0 { published.request == WampID(index + 1) } else { false } } })
            try await Task.sleep(for: .milliseconds(5))
        }
        let values = { (answer: MetaAnswer) -> [Int64] in
            let list = JSONValue.parse(answer.arguments ?? "[]")?.element(0)
            var found: [Int64] = []
            var index = 0
            while let event = list?.element(index) {
                if let value = event.value("args")?.element(0)?.integerValue { found.append(value) }
                index += 1
            }
            return found
        }
        // Node 3 made none of the publications; it answers with every node's, in publication order.
        let all = try await nodes[2].meta(subscriber, subscriberPeer, "wamp.subscription.get_events", args: "[\(subscription)]")
        XCTAssertEqual(values(all), [0, 1, 2])
        XCTAssertNil(all.kwargs)
        let two = try await nodes[2].meta(subscriber, subscriberPeer, "wamp.subscription.get_events",
                                          args: "[\(subscription)]", kwargs: #"{"reverse": true, "limit": 2}"#)
        XCTAssertEqual(values(two), [2, 1])
        nodes[1].sessionQueries.stopAnswering()
        let partial = try await nodes[2].meta(subscriber, subscriberPeer, "wamp.subscription.get_events", args: "[\(subscription)]")
        XCTAssertEqual(values(partial), [0, 2])
        XCTAssertEqual(partial.kwargs?.value("partial")?.stringArray, ["n2"])
        for node in nodes { await node.node.stop() }
    }

    func testANodeThatDoesNotAnswerIsNamedAsPartial() async throws {
        let nodes = try await liveNodes(3)
        let (asker, askerPeer) = nodes[0].join()
        _ = nodes[1].join()
        let (third, _) = nodes[2].join()
        nodes[2].sessionQueries.stopAnswering()

        let count = try await nodes[0].meta(asker, askerPeer, "wamp.session.count")
        XCTAssertEqual(count.arguments, "[2]")
        XCTAssertEqual(count.kwargs?.value("partial")?.stringArray, ["n3"])
        let get = try await nodes[0].meta(asker, askerPeer, "wamp.session.get", args: "[\(third.id)]")
        XCTAssertEqual(get.error, ErrorURI.noSuchSession)
        XCTAssertEqual(get.kwargs?.value("partial")?.stringArray, ["n3"])
        XCTAssertEqual(nodes[0].node.counters.metaQueriesPartial.load(ordering: .relaxed), 2)
        // The node that stopped answering still answers its own callers, for the cluster.
        let (local, localPeer) = nodes[2].join()
        let fromThird = try await nodes[2].meta(local, localPeer, "wamp.session.count")
        XCTAssertEqual(fromThird.arguments, "[4]")
        for node in nodes { await node.node.stop() }
    }

    func testAGatheredListStopsAtTheAnswerBoundAndSaysSo() async throws {
        var limits = RealmLimits()
        // Room for two of these IDs (13 or 14 digits: slot 1 or 2 in the top bits) in a JSON list, not three.
        limits.maxAnswerBytes = 40
        let nodes = try await liveNodes(2, limits: limits)
        let (asker, askerPeer) = nodes[0].join()
        for _ in 0..<3 { _ = nodes[1].join() }
        let list = try await nodes[0].meta(asker, askerPeer, "wamp.session.list")
        XCTAssertEqual(ids(list).count, 2)
        XCTAssertTrue(ids(list).contains(Int64(asker.id)), "this node's own sessions come first")
        XCTAssertEqual(list.kwargs?.bool("truncated"), true)
        let count = try await nodes[0].meta(asker, askerPeer, "wamp.session.count")
        XCTAssertEqual(count.arguments, "[4]", "the count is not bounded by the list")
        for node in nodes { await node.node.stop() }
    }

    /// Every node's dealer holds every registration, with remote callees under their real
    /// session IDs, so the registration meta API answers for the cluster from any node.
    func testRegistrationMetaAPIAnswersForTheClusterFromAnyNode() async throws {
        let nodes = try await liveNodes(3)
        let (asker, askerPeer) = nodes[0].join()
        let (second, secondPeer) = nodes[1].join()
        let (third, thirdPeer) = nodes[2].join()
        let id = try await nodes[1].register(second, secondPeer, "com.meta.shared", options: #"{"invoke":"roundrobin"}"#)
        _ = try await nodes[2].register(third, thirdPeer, "com.meta.shared", options: #"{"invoke":"roundrobin"}"#)

        let list = try await nodes[0].meta(asker, askerPeer, "wamp.registration.list")
        XCTAssertEqual(list.arguments, #"[{"exact":[\#(id)],"prefix":[],"wildcard":[]}]"#)
        let lookup = try await nodes[0].meta(asker, askerPeer, "wamp.registration.lookup", args: #"["com.meta.shared"]"#)
        XCTAssertEqual(lookup.arguments, "[\(id)]")
        let match = try await nodes[0].meta(asker, askerPeer, "wamp.registration.match", args: #"["com.meta.shared"]"#)
        XCTAssertEqual(match.arguments, "[\(id)]")
        let get = try await nodes[0].meta(asker, askerPeer, "wamp.registration.get", args: "[\(id)]")
        XCTAssertEqual(JSONValue.parse(get.arguments ?? "[]")?.element(0)?.string("uri"), "com.meta.shared")
        let callees = try await nodes[0].meta(asker, askerPeer, "wamp.registration.list_callees", args: "[\(id)]")
        XCTAssertEqual(ids(callees), [Int64(second.id), Int64(third.id)])
        let countCallees = try await nodes[0].meta(asker, askerPeer, "wamp.registration.count_callees", args: "[\(id)]")
        XCTAssertEqual(countCallees.arguments, "[2]")
        // A callee that leaves on its node is gone from the answers elsewhere.
        nodes[2].realm.leave(third)
        try await eventually("the callee gone on node 1") { nodes[0].realm.dealer.calleeIDs(of: id) == [second.id] }
        let after = try await nodes[0].meta(asker, askerPeer, "wamp.registration.list_callees", args: "[\(id)]")
        XCTAssertEqual(ids(after), [Int64(second.id)])
        for node in nodes { await node.node.stop() }
    }
}
