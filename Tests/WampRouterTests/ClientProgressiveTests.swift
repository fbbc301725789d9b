import WampClient
import WampMessages
import XCTest

/// Progressive call results (as an AsyncSequence) and progressive call invocations, with the
/// Swift client on both ends of the router.
final class ClientProgressiveTests: RouterTestCase {
    func testProgressiveResultsArriveInOrderThenTheFinalOneEndsTheSequence() async throws {
        let callee = try await client()
        let caller = try await client()
        _ = try await callee.register("com.example.count") { invocation, context in
            XCTAssertTrue(context.callerWantsProgress)
            for i in 1...3 { try context.sendProgress(arguments: raw("[\(i)]")) }
            return Payload(arguments: raw("[\"done\"]"))
        }
        var seen: [(String?, Bool)] = []
        for try await result in caller.callProgressive("com.example.count") {
            seen.append((result.payload.arguments?.description, result.isProgress))
        }
        XCTAssertEqual(seen.map(\.0), ["[1]", "[2]", "[3]", "[\"done\"]"])
        XCTAssertEqual(seen.map(\.1), [true, true, true, false])
    }

    func testPlainCalleeGivesOneFinalResult() async throws {
        let callee = try await client()
        let caller = try await client()
        _ = try await callee.register("com.example.plain") { _ in Payload(arguments: raw("[42]")) }
        var results: [Result] = []
        for try await result in caller.callProgressive("com.example.plain") { results.append(result) }
        XCTAssertEqual(results.count, 1)
        XCTAssertEqual(results.first?.payload.arguments?.description, "[42]")
        XCTAssertEqual(results.first?.isProgress, false)
    }

    func testOrdinaryCallOfAStreamingCalleeGetsOnlyTheFinalResult() async throws {
        let callee = try await client()
        let caller = try await client()
        _ = try await callee.register("com.example.count") { _, context in
            XCTAssertFalse(context.callerWantsProgress)
            try context.sendProgress(arguments: raw("[1]"))
            return Payload(arguments: raw("[2]"))
        }
        let result = try await caller.call("com.example.count")
        XCTAssertEqual(result.payload.arguments?.description, "[2]")
        XCTAssertFalse(result.isProgress)
    }

    func testCalleeErrorAfterProgressThrowsFromTheSequence() async throws {
        let callee = try await client()
        let caller = try await client()
        _ = try await callee.register("com.example.half") { _, context in
            try context.sendProgress(arguments: raw("[1]"))
            throw WampInvocationError(uri: "com.example.error.broke", payload: Payload(arguments: raw("[\"midway\"]")))
        }
        var progress: [String] = []
        do {
            for try await result in caller.callProgressive("com.example.half") {
                progress.append(result.payload.arguments?.description ?? "")
            }
            XCTFail("the sequence ended without the callee's ERROR")
        } catch let error as WampClientError {
            XCTAssertEqual(error.uri, "com.example.error.broke")
            guard case .error(_, _, let payload) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(payload.arguments?.description, "[\"midway\"]")
        }
        XCTAssertEqual(progress, ["[1]"])
    }

    func testNoSuchProcedureThrowsFromTheSequence() async throws {
        let caller = try await client()
        await assertError("wamp.error.no_such_procedure") {
            for try await _ in caller.callProgressive("com.example.nobody") {}
        }
    }

    func testProgressiveInvocationChunksReachTheCalleeInOrder() async throws {
        let callee = try await client()
        let caller = try await client()
        _ = try await callee.register("com.example.sum") { first, context in
            XCTAssertTrue(context.isProgressiveInvocation)
            var texts = [first.payload.arguments?.description ?? "-"]
            for try await chunk in context.chunks { texts.append(chunk.payload.arguments?.description ?? "-") }
            return Payload(arguments: RawJSON(#"[""# + texts.joined(separator: "|") + #""]"#)!)
        }
        let call = caller.callWithProgressiveInvocation("com.example.sum")
        try call.send(arguments: raw("[1]"))
        try call.send(arguments: raw("[2]"))
        let result = try await withTimeout { try await call.finish(Payload(arguments: raw("[3]"))) }
        XCTAssertEqual(result.payload.arguments?.description, #"["[1]|[2]|[3]"]"#)
    }

    func testProgressiveInvocationToAMissingProcedureThrowsTheRoutersError() async throws {
        let caller = try await client()
        let call = caller.callWithProgressiveInvocation("com.example.nobody")
        try call.send(arguments: raw("[1]"))
        await assertError("wamp.error.no_such_procedure") {
            _ = try await withTimeout { try await call.finish() }
        }
    }
}
