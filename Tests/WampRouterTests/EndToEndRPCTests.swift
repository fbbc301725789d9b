import NIOCore
import Synchronization
import WampClient
import WampMessages
import XCTest

/// RPC through a real router over loopback WebSockets, with the Swift client on both ends.
final class EndToEndRPCTests: RouterTestCase {
    func testCallReachesCalleeAndResultComesBack() async throws {
        let callee = try await client()
        let caller = try await client()
        _ = try await callee.register("com.example.add2") { invocation in
            let values = invocation.payload.arguments!.parsed()!
            XCTAssertEqual(values.count, 2)
            let text = invocation.payload.arguments!.description
            let numbers = text.dropFirst().dropLast().split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces))! }
            return Payload(arguments: raw("[\(numbers.reduce(0, +))]"))
        }
        let result = try await caller.call("com.example.add2", arguments: raw("[2, 3]"))
        XCTAssertEqual(result.payload.arguments?.description, "[5]")
    }

    func testArgumentsAndKeywordArgumentsArriveByteExact() async throws {
        let callee = try await client()
        let caller = try await client()
        let arguments = #"[{"nested": {"list": [1, [2, [3]]], "empty": {}}}, "日本語 ✓ é", 9007199254740992, 0.1, 1e100, -2.5e-7, null, [], "\u0000AAEC"]"#
        let kwargs = #"{"big": 18446744073709551616, "unicode": "🚀", "none": null, "list": []}"#
        _ = try await callee.register("com.example.echo") { invocation in
            XCTAssertEqual(invocation.payload.arguments?.description, arguments)
            XCTAssertEqual(invocation.payload.argumentsKw?.description, kwargs)
            return invocation.payload
        }
        let result = try await caller.call("com.example.echo", arguments: raw(arguments), argumentsKw: raw(kwargs))
        XCTAssertEqual(result.payload.arguments?.description, arguments)
        XCTAssertEqual(result.payload.argumentsKw?.description, kwargs)
    }

    func testCalleeErrorReachesCallerWithURIArgsAndKwargs() async throws {
        let callee = try await client()
        let caller = try await client()
        _ = try await callee.register("com.example.fail") { _ in
            throw WampInvocationError(uri: "com.example.error.custom", payload: Payload(arguments: raw("[1,2]"), argumentsKw: raw(#"{"a":3}"#)))
        }
        do {
            _ = try await caller.call("com.example.fail")
            XCTFail("call succeeded")
        } catch WampClientError.error(let uri, _, let payload) {
            XCTAssertEqual(uri, "com.example.error.custom")
            XCTAssertEqual(payload.arguments?.description, "[1,2]")
            XCTAssertEqual(payload.argumentsKw?.description, #"{"a":3}"#)
        }
    }

    func testRouterErrors() async throws {
        let a = try await client()
        let b = try await client()
        await assertError("wamp.error.no_such_procedure") { _ = try await a.call("com.example.nobody") }
        _ = try await a.register("com.example.once") { _ in .empty }
        await assertError("wamp.error.procedure_already_exists") { _ = try await b.register("com.example.once") { _ in .empty } }
        await assertError("wamp.error.invalid_uri") { _ = try await b.register("com..bad") { _ in .empty } }
        await assertError("wamp.error.invalid_uri") { _ = try await b.register("wamp.reserved") { _ in .empty } }
        await assertError("wamp.error.invalid_uri") { _ = try await b.call("bad uri") }
        await assertError("wamp.error.no_such_registration") { try await b.unregister(12345) }
        // The session is still usable after each error.
        _ = try await b.register("com.example.fine") { _ in Payload(arguments: raw("[true]")) }
        let result = try await a.call("com.example.fine")
        XCTAssertEqual(result.payload.arguments?.description, "[true]")
    }

    func testUnregisteredProcedureIsGone() async throws {
        let callee = try await client()
        let caller = try await client()
        let registration = try await callee.register("com.example.temp") { _ in .empty }
        _ = try await caller.call("com.example.temp")
        try await callee.unregister(registration)
        await assertError("wamp.error.no_such_procedure") { _ = try await caller.call("com.example.temp") }
    }

    func testCalleeLeavingCancelsPendingCallPromptly() async throws {
        let callee = try await client()
        let caller = try await client()
        let invoked = Atomic<Int>(0)
        _ = try await callee.register("com.example.hang") { _ in
            invoked.add(1, ordering: .relaxed)
            try await Task.sleep(for: .seconds(60))
            return .empty
        }
        async let outcome: Void = assertError("wamp.error.canceled") { _ = try await caller.call("com.example.hang") }
        while invoked.load(ordering: .relaxed) == 0 { try await Task.sleep(for: .milliseconds(5)) }
        let start = ContinuousClock.now
        callee.disconnect()
        await outcome
        XCTAssertLessThan(ContinuousClock.now - start, .seconds(5))
    }

    func testSessionLeaveRemovesItsRegistrations() async throws {
        let callee = try await client()
        let caller = try await client()
        _ = try await callee.register("com.example.leaving") { _ in .empty }
        try await callee.leave()
        await assertError("wamp.error.no_such_procedure") { _ = try await caller.call("com.example.leaving") }
        let again = try await client()
        _ = try await again.register("com.example.leaving") { _ in .empty }
    }

    func testThousandConcurrentOutstandingCallsAreMatchedByRequestID() async throws {
        let callee = try await client()
        let caller = try await client()
        _ = try await callee.register("com.example.echo") { invocation in
            try await Task.sleep(for: .milliseconds(Int.random(in: 0...20)))
            return invocation.payload
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<1000 {
                group.addTask {
                    let result = try await caller.call("com.example.echo", arguments: raw("[\(i)]"))
                    XCTAssertEqual(result.payload.arguments?.description, "[\(i)]")
                }
            }
            try await group.waitForAll()
        }
    }

    func testOneMebibytePayloadRoundTrip() async throws {
        let callee = try await client()
        let caller = try await client()
        let big = "[\"" + String(repeating: "x", count: 1 << 20) + "\"]"
        _ = try await callee.register("com.example.echo") { $0.payload }
        let result = try await caller.call("com.example.echo", arguments: raw(big))
        XCTAssertEqual(result.payload.arguments?.bytes.readableBytes, big.utf8.count)
        XCTAssertEqual(result.payload.arguments?.description, big)
    }

    func testWelcomeAnnouncesRolesAndARandomSessionID() async throws {
        let a = try await client()
        let b = try await client()
        XCTAssertNotEqual(a.sessionID, b.sessionID)
        XCTAssertTrue(a.sessionID >= 1 && a.sessionID <= WampIDRange.max)
        let roles = try XCTUnwrap(a.welcomeDetails.object("roles"))
        XCTAssertNotNil(roles.object("broker"))
        XCTAssertNotNil(roles.object("dealer"))
        XCTAssertEqual(a.welcomeDetails.string("realm"), "realm1")
        XCTAssertEqual(a.welcomeDetails.string("authrole"), "anonymous")
    }

    func testRealmsAreIsolatedEndToEnd() async throws {
        let callee = try await client(realm: "realm1")
        let stranger = try await client(realm: "realm2")
        _ = try await callee.register("com.example.here") { _ in .empty }
        await assertError("wamp.error.no_such_procedure") { _ = try await stranger.call("com.example.here") }
    }

    func testUnknownRealmIsAborted() async throws {
        do {
            _ = try await client(realm: "nowhere")
            XCTFail("joined an unknown realm")
        } catch WampClientError.aborted(let reason, let message) {
            XCTAssertEqual(reason, "wamp.error.no_such_realm")
            XCTAssertFalse((message ?? "").isEmpty)
        }
    }
}

func assertError(_ uri: String, file: StaticString = #filePath, line: UInt = #line,
                 _ body: () async throws -> Void) async {
    do {
        try await body()
        XCTFail("expected ERROR \(uri)", file: file, line: line)
    } catch let error as WampClientError {
        XCTAssertEqual(error.uri, uri, "\(error)", file: file, line: line)
    } catch {
        XCTFail("unexpected \(error)", file: file, line: line)
    }
}
