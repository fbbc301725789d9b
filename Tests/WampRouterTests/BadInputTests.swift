import NIOCore
import WampClient
import WampMessages
import XCTest

/// Every kind of bad input gets ABORT `wamp.error.protocol_violation` with a readable message, then
/// a WebSocket close, and the router goes on serving everyone else.
final class BadInputTests: RouterTestCase {
    private func assertAbort(_ peer: RawPeer, reason: String = "wamp.error.protocol_violation",
                             closeCodes: Set<UInt16> = [1002, 1003, 1007, 1008],
                             file: StaticString = #filePath, line: UInt = #line) async throws {
        guard case .text(let text) = try await peer.next(file: file, line: line) else {
            return XCTFail("expected ABORT", file: file, line: line)
        }
        guard case .abort(let abort) = try MessageDecoder.decode(ByteBuffer(string: text)) else {
            return XCTFail("expected ABORT, got \(text)", file: file, line: line)
        }
        XCTAssertEqual(abort.reason, reason, file: file, line: line)
        XCTAssertFalse((abort.details.string("message") ?? "").isEmpty, "ABORT without message: \(text)", file: file, line: line)
        guard case .closed(let code) = try await peer.next(file: file, line: line) else {
            return XCTFail("connection not closed after ABORT", file: file, line: line)
        }
        XCTAssertTrue(code.map { closeCodes.contains($0) } ?? false, "close code \(String(describing: code))", file: file, line: line)
    }

    /// A call round trip through fresh sessions: the router is still up and routing.
    private func assertRouterServes(file: StaticString = #filePath, line: UInt = #line) async throws {
        let callee = try await client()
        let caller = try await client()
        _ = try await callee.register("com.example.alive.\(UInt32.random(in: 0...UInt32.max))") { _ in Payload(arguments: raw("[1]")) }
        try await callee.leave()
        try await caller.leave()
    }

    private func checkBeforeHello(_ text: String, closeCodes: Set<UInt16> = [1002, 1003, 1007, 1008],
                                  file: StaticString = #filePath, line: UInt = #line) async throws {
        let peer = try await RawPeer.connect(port: port)
        peer.send(text)
        try await assertAbort(peer, closeCodes: closeCodes, file: file, line: line)
    }

    private func checkAfterWelcome(_ text: String, file: StaticString = #filePath, line: UInt = #line) async throws {
        let peer = try await RawPeer.connect(port: port)
        try await peer.join()
        peer.send(text)
        try await assertAbort(peer, file: file, line: line)
    }

    func testTextThatIsNotJSON() async throws {
        try await checkBeforeHello("this is not json", closeCodes: [1007])
        try await checkAfterWelcome("[48, 1, {}")
        try await assertRouterServes()
    }

    func testOptionsBeyondMaxOptionsBytesAreRefused() async throws {
        let options = #"{"x":["# + String(repeating: "{},", count: 400_000) + "{}]}"
        try await checkAfterWelcome(#"[48,1,\#(options),"com.example.x",[]]"#)
        try await assertRouterServes()
    }

    func testJSONThatIsNotAnArray() async throws {
        try await checkAfterWelcome("{}")
        try await checkAfterWelcome("42")
        try await checkAfterWelcome("[]")
        try await assertRouterServes()
    }

    func testUnknownMessageCode() async throws {
        try await checkAfterWelcome("[999]")
        try await checkAfterWelcome(#"["48",1,{},"p"]"#)
        try await assertRouterServes()
    }

    func testRouterOnlyMessagesFromAClient() async throws {
        for text in [#"[2,1,{}]"#, #"[36,1,2,{}]"#, #"[68,1,2,{}]"#, #"[50,1,{}]"#, #"[65,1,2]"#, #"[33,1,2]"#, #"[17,1,2]"#,
                     #"[4,"ticket",{}]"#, #"[69,1,{}]"#] {
            try await checkAfterWelcome(text)
        }
        try await assertRouterServes()
    }

    func testWrongFieldTypesAndArity() async throws {
        for text in [#"[48,"x",{},"com.a"]"#, #"[48,1,{}]"#, #"[32,1,[],"t"]"#, #"[48,0,{},"com.a"]"#,
                     #"[48,9007199254740993,{},"com.a"]"#, #"[48,-1,{},"com.a"]"#, #"[16,1,{},"t",{}]"#, #"[8,48,1,{},"e"]"#] {
            try await checkAfterWelcome(text)
        }
        try await assertRouterServes()
    }

    func testMessagesBeforeHello() async throws {
        try await checkBeforeHello(#"[48,1,{},"com.example.add2",[]]"#)
        try await checkBeforeHello(#"[6,{},"wamp.close.close_realm"]"#)
        try await assertRouterServes()
    }

    func testSecondHello() async throws {
        try await checkAfterWelcome(#"[1,"realm1",{"roles":{"caller":{}}}]"#)
        try await assertRouterServes()
    }

    func testHelloWithoutRoles() async throws {
        try await checkBeforeHello(#"[1,"realm1",{}]"#)
    }

    func testBinaryFrame() async throws {
        let peer = try await RawPeer.connect(port: port)
        try await peer.join()
        peer.sendBinary([0x93, 0x01, 0x02])
        try await assertAbort(peer, closeCodes: [1003])
        try await assertRouterServes()
    }

    func testRequestIDReusedWhilePending() async throws {
        let callee = try await client()
        _ = try await callee.register("com.example.slow") { _ in
            try await Task.sleep(for: .seconds(30))
            return .empty
        }
        let peer = try await RawPeer.connect(port: port)
        try await peer.join()
        peer.send(#"[48,7,{},"com.example.slow",[]]"#)
        peer.send(#"[48,7,{},"com.example.slow",[]]"#)
        try await assertAbort(peer)
        let realm = router.realms.realm(named: "realm1")!
        let deadline = ContinuousClock.now + .seconds(5)
        while realm.dealer.pendingCallCount > 0, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        XCTAssertEqual(realm.dealer.pendingCallCount, 0, "the aborted caller's pending call is settled")
        try await assertRouterServes()
    }

    func testYieldForUnknownRequestIsIgnored() async throws {
        let peer = try await RawPeer.connect(port: port)
        try await peer.join()
        peer.send(#"[70,4242,{},[1]]"#)
        peer.send(#"[64,1,{},"com.example.after_yield"]"#)
        guard case .text(let text) = try await peer.next() else { return XCTFail() }
        XCTAssertTrue(text.hasPrefix("[65,1,"), text)
        try await assertRouterServes()
    }

    func testUnknownRealm() async throws {
        let peer = try await RawPeer.connect(port: port)
        peer.send(#"[1,"nowhere",{"roles":{"caller":{}}}]"#)
        try await assertAbort(peer, reason: "wamp.error.no_such_realm", closeCodes: [1000])
    }

    func testGoodbyeIsAnsweredAndTheTransportMayJoinAgain() async throws {
        let peer = try await RawPeer.connect(port: port)
        try await peer.join()
        peer.send(#"[6,{},"wamp.close.close_realm"]"#)
        let goodbye = try await peer.next()
        XCTAssertEqual(goodbye, .text(#"[6,{},"wamp.close.goodbye_and_out"]"#))
        let welcome = try await peer.join(realm: "realm2")
        XCTAssertTrue(welcome.hasPrefix("[2,"), welcome)
    }

    func testProtocolViolationsAreCounted() async throws {
        let before = router.protocolViolationCount
        try await checkAfterWelcome("[999]")
        XCTAssertEqual(router.protocolViolationCount, before + 1)
    }
}
