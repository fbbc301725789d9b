import NIOCore
import WampClient
import WampMessages
import XCTest

/// Advanced Profile features through the running router, checked on the exact wire shapes.
final class AdvancedProfileTests: RouterTestCase {
    static let calleeHello = #"[1,"realm1",{"roles":{"callee":{"features":{"call_canceling":true,"progressive_call_results":true,"registration_revocation":true}},"caller":{"features":{"call_canceling":true,"progressive_call_results":true}}}}]"#

    private func joined(_ hello: String = calleeHello) async throws -> RawPeer {
        let peer = try await RawPeer.connect(port: port)
        peer.send(hello)
        guard case .text(let welcome) = try await peer.next(), welcome.hasPrefix("[2,") else { throw CancellationError() }
        return peer
    }

    private func nextMessage(_ peer: RawPeer) async throws -> WampMessage {
        guard case .text(let text) = try await peer.next() else { throw CancellationError() }
        return try MessageDecoder.decode(ByteBuffer(string: text))
    }

    func testWelcomeAnnouncesTheDealerFeatures() async throws {
        let session = try await client()
        let features = try XCTUnwrap(session.welcomeDetails.object("roles")?.object("dealer")?.object("features"))
        for feature in ["progressive_call_results", "call_canceling", "call_timeout", "caller_identification",
                        "pattern_based_registration", "shared_registration", "registration_revocation",
                        "session_meta_api", "registration_meta_api", "testament_meta_api"] {
            XCTAssertEqual(features.bool(feature), true, feature)
        }
    }

    func testProgressiveResultsAndCancelOverTheWire() async throws {
        let callee = try await joined()
        let caller = try await joined()
        callee.send(#"[64,1,{},"com.example.stream"]"#)
        guard case .registered = try await nextMessage(callee) else { return XCTFail() }

        caller.send(#"[48,7,{"receive_progress":true},"com.example.stream",[]]"#)
        guard case .invocation(let invocation) = try await nextMessage(callee) else { return XCTFail() }
        XCTAssertEqual(invocation.details.bool("receive_progress"), true)
        callee.send(#"[70,\#(invocation.request),{"progress":true},["chunk"]]"#)
        let progress = try await caller.next()
        XCTAssertEqual(progress, .text(#"[50,7,{"progress":true},["chunk"]]"#))

        caller.send(#"[49,7,{"mode":"killnowait"}]"#)
        guard case .error(let canceled) = try await nextMessage(caller) else { return XCTFail() }
        XCTAssertEqual(canceled.error, "wamp.error.canceled")
        XCTAssertEqual(canceled.request, 7)
        guard case .interrupt(let interrupt) = try await nextMessage(callee) else { return XCTFail() }
        XCTAssertEqual(interrupt.request, invocation.request)
        XCTAssertEqual(interrupt.options.string("mode"), "killnowait")
    }

    func testDealerTimeoutFiresOnTheEventLoop() async throws {
        let callee = try await joined()
        let caller = try await joined()
        callee.send(#"[64,1,{},"com.example.slow"]"#)
        guard case .registered = try await nextMessage(callee) else { return XCTFail() }
        let start = ContinuousClock.now
        caller.send(#"[48,3,{"timeout":100},"com.example.slow",[]]"#)
        guard case .invocation = try await nextMessage(callee) else { return XCTFail() }
        guard case .error(let timeout) = try await nextMessage(caller) else { return XCTFail() }
        XCTAssertEqual(timeout.error, "wamp.error.timeout")
        XCTAssertGreaterThanOrEqual(ContinuousClock.now - start, .milliseconds(90))
        guard case .interrupt = try await nextMessage(callee) else { return XCTFail() }
    }

    func testKilledSessionGetsGoodbyeThenTheConnectionCloses() async throws {
        let victim = try await joined()
        let admin = try await client()
        let count = try await admin.call("wamp.session.count")
        XCTAssertEqual(count.payload.arguments?.description, "[2]")
        let list = try await admin.call("wamp.session.list")
        let ids = try XCTUnwrap(list.payload.arguments?.parsed()?.element(0)?.integerArray)
        let victimID = try XCTUnwrap(ids.first { $0 != Int64(admin.sessionID) })
        _ = try await admin.call("wamp.session.kill", arguments: raw("[\(victimID)]"), argumentsKw: raw(#"{"reason":"com.example.kicked","message":"bye"}"#))
        let goodbye = try await victim.next()
        XCTAssertEqual(goodbye, .text(#"[6,{"message":"bye"},"com.example.kicked"]"#))
        victim.send(#"[6,{},"wamp.close.goodbye_and_out"]"#)
        let closed = try await victim.next()
        XCTAssertEqual(closed, .closed(code: 1000))
        let after = try await admin.call("wamp.session.count")
        XCTAssertEqual(after.payload.arguments?.description, "[1]")
        await assertError("wamp.error.no_such_session") { _ = try await admin.call("wamp.session.kill", arguments: raw("[\(admin.sessionID)]")) }
    }

    func testKilledSessionThatNeverAnswersIsClosed() async throws {
        let victim = try await joined()
        let admin = try await client()
        let killed = try await admin.call("wamp.session.kill_all")
        XCTAssertEqual(killed.payload.arguments?.description, "[1]")
        guard case .text(let goodbye) = try await victim.next(), goodbye.hasPrefix("[6,") else { return XCTFail() }
        let start = ContinuousClock.now
        let closed = try await victim.next(within: 10)
        XCTAssertEqual(closed, .closed(code: 1000))
        XCTAssertGreaterThanOrEqual(ContinuousClock.now - start, .seconds(4))
    }

    func testRevocationOverTheWire() async throws {
        let callee = try await joined()
        callee.send(#"[64,1,{},"com.example.revoked"]"#)
        guard case .registered(let registered) = try await nextMessage(callee) else { return XCTFail() }
        let admin = try await client()
        let callees = try await admin.call("wamp.registration.list_callees", arguments: raw("[\(registered.registration)]"))
        let calleeID = try XCTUnwrap(callees.payload.arguments?.parsed()?.element(0)?.integerArray?.first)
        _ = try await admin.call("wamp.registration.remove_callee", arguments: raw(#"[\#(registered.registration), \#(calleeID), "maintenance"]"#))
        let revoked = try await callee.next()
        XCTAssertEqual(revoked, .text(#"[67,0,{"registration":\#(registered.registration),"reason":"maintenance"}]"#))
        await assertError("wamp.error.no_such_procedure") { _ = try await admin.call("com.example.revoked") }
    }
}
