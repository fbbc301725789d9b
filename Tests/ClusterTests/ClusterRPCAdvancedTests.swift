import Cluster
import NIOCore
import Realm
import WampMessages
import XCTest

/// Advanced Profile RPC across nodes: the caller's node runs the dealer's state machine against a
/// remote-callee session, the callee's node against a remote-caller session.
final class ClusterRPCAdvancedTests: ClusterRPCTestCase {
    /// Two nodes, a callee on the second, and a CALL from the first that reached it.
    private func remoteCall(_ procedure: String, _ options: String = "{}", request: WampID)
        async throws -> ([RPCNode], RealmSession, RecordingPeer, RealmSession, RecordingPeer, Invocation) {
        let nodes = try await makeNodes(2)
        let (callee, calleePeer) = nodes[1].join(201)
        _ = try await nodes[1].mustRegister(callee, calleePeer, procedure)
        let (caller, callerPeer) = nodes[0].join(101)
        try nodes[0].call(caller, procedure, options, request: request)
        return (nodes, callee, calleePeer, caller, callerPeer, try await invocation(calleePeer))
    }

    private func invocation(_ peer: RecordingPeer, count: Int = 1) async throws -> Invocation {
        let invocations = await peer.wait("INVOCATION \(count)", \.invocations, count: count)
        return try XCTUnwrap(invocations.count >= count ? invocations[count - 1] : nil)
    }

    func testProgressiveResultsTravelBackAtOnceAndTheFinalOneEndsTheCall() async throws {
        let (nodes, callee, _, _, callerPeer, invocation) = try await remoteCall("p.progress", #"{"receive_progress":true}"#, request: 3)
        XCTAssertEqual(invocation.details.bool("receive_progress"), true)
        for chunk in 1...3 {
            try nodes[1].realm.dealer.yield(Yield(request: invocation.request, options: JSONValue.parse(#"{"progress":true}"#)!,
                                                  payload: Payload(arguments: RawJSON("[\(chunk)]")!)), from: callee)
        }
        let progress = await callerPeer.wait("three progressive results", \.results, count: 3)
        XCTAssertEqual(progress.map { $0.details.bool("progress") }, [true, true, true])
        XCTAssertEqual(progress.map { $0.payload.arguments?.description }, ["[1]", "[2]", "[3]"])
        try nodes[1].realm.dealer.yield(Yield(request: invocation.request, options: .emptyObject), from: callee)
        let all = await callerPeer.wait("the final result", \.results, count: 4)
        XCTAssertNil(all.last?.details.bool("progress"))
        XCTAssertEqual(nodes[0].realm.dealer.pendingCallCount, 0)
    }

    func testProgressiveInvocationsKeepOneRequestIDOnTheCalleesNode() async throws {
        let nodes = try await makeNodes(2)
        let (callee, calleePeer) = nodes[1].join(201)
        _ = try await nodes[1].mustRegister(callee, calleePeer, "p.stream")
        let (caller, callerPeer) = nodes[0].join(101)
        try nodes[0].call(caller, "p.stream", #"{"progress":true}"#, request: 8, args: "[1]")
        try nodes[0].call(caller, "p.stream", #"{"progress":true}"#, request: 8, args: "[2]")
        try nodes[0].call(caller, "p.stream", request: 8, args: "[3]")
        let chunks = await calleePeer.wait("three chunks", \.invocations, count: 3)
        XCTAssertEqual(Set(chunks.map(\.request)).count, 1)
        XCTAssertEqual(chunks.map { $0.payload.arguments?.description }, ["[1]", "[2]", "[3]"])
        XCTAssertEqual(chunks.map { $0.details.bool("progress") }, [true, true, nil])
        try nodes[1].realm.dealer.yield(Yield(request: chunks[0].request, options: .emptyObject), from: callee)
        let results = await callerPeer.wait("RESULT", \.results)
        XCTAssertEqual(results.first?.request, 8)
    }

    func testCancelKillInterruptsTheRemoteCalleeAndTheCallerGetsItsAnswer() async throws {
        let (nodes, callee, calleePeer, caller, callerPeer, invocation) = try await remoteCall("p.kill", request: 4)
        nodes[0].realm.dealer.cancel(Cancel(request: 4, options: JSONValue.parse(#"{"mode":"kill"}"#)!), from: caller)
        let interrupts = await calleePeer.wait("INTERRUPT", \.interrupts)
        XCTAssertEqual(interrupts.first?.request, invocation.request)
        XCTAssertEqual(interrupts.first?.options.string("mode"), "kill")
        XCTAssertTrue(callerPeer.errors.isEmpty, "kill waits for the callee's answer")
        nodes[1].realm.dealer.invocationError(ErrorMessage(requestType: .invocation, request: invocation.request,
                                                           error: "app.error.stopped", message: "stopped"), from: callee)
        let errors = await callerPeer.wait("the callee's ERROR", \.errors)
        XCTAssertEqual(errors.map(\.error), ["app.error.stopped"])
    }

    func testCancelKillNoWaitAnswersAtOnceAndInterruptsTheRemoteCallee() async throws {
        let (nodes, _, calleePeer, caller, callerPeer, invocation) = try await remoteCall("p.killnowait", request: 4)
        nodes[0].realm.dealer.cancel(Cancel(request: 4, options: JSONValue.parse(#"{"mode":"killnowait"}"#)!), from: caller)
        XCTAssertEqual(callerPeer.errors.map(\.error), [ErrorURI.canceled])
        let interrupts = await calleePeer.wait("INTERRUPT", \.interrupts)
        XCTAssertEqual(interrupts.first?.request, invocation.request)
        XCTAssertEqual(interrupts.first?.options.string("mode"), "killnowait")
        let deadline = Date().addingTimeInterval(5)
        while nodes[1].realm.dealer.pendingCallCount > 0, Date() < deadline { try await Task.sleep(nanoseconds: 5_000_000) }
        XCTAssertEqual(nodes[1].realm.dealer.pendingCallCount, 0)
    }

    func testCancelSkipAnswersAtOnceWithoutInterruptAndTheLateResultIsDropped() async throws {
        let (nodes, callee, calleePeer, caller, callerPeer, invocation) = try await remoteCall("p.skip", request: 4)
        nodes[0].realm.dealer.cancel(Cancel(request: 4, options: JSONValue.parse(#"{"mode":"skip"}"#)!), from: caller)
        XCTAssertEqual(callerPeer.errors.map(\.error), [ErrorURI.canceled])
        try nodes[1].realm.dealer.yield(Yield(request: invocation.request, options: .emptyObject), from: callee)
        // A later call's result proves the late one had its chance to arrive and was dropped.
        try nodes[0].call(caller, "p.skip", request: 5)
        let second = try await self.invocation(calleePeer, count: 2)
        try nodes[1].realm.dealer.yield(Yield(request: second.request, options: .emptyObject), from: callee)
        let results = await callerPeer.wait("RESULT of the second call", \.results)
        XCTAssertEqual(results.map(\.request), [5])
        XCTAssertTrue(calleePeer.interrupts.isEmpty)
    }

    func testTheTimeoutIsDecidedOnTheCallersNodeAndInterruptsTheRemoteCallee() async throws {
        let (_, _, calleePeer, _, callerPeer, invocation) = try await remoteCall("p.slow", #"{"timeout":150}"#, request: 2)
        XCTAssertNil(invocation.details.integer("timeout"), "the caller's node keeps the timer")
        let errors = await callerPeer.wait("timeout ERROR", \.errors)
        XCTAssertEqual(errors.map(\.error), [ErrorURI.timeout])
        let interrupts = await calleePeer.wait("INTERRUPT", \.interrupts)
        XCTAssertEqual(interrupts.first?.options.string("reason"), ErrorURI.timeout)
        XCTAssertEqual(interrupts.first?.options.string("mode"), "killnowait")
    }

    func testCallerDisclosureGivesTheCallersIdentityToARemoteCallee() async throws {
        let nodes = try await makeNodes(2)
        let (callee, calleePeer) = nodes[1].join(201)
        _ = try await nodes[1].mustRegister(callee, calleePeer, "p.who", #"{"disclose_caller":true}"#)
        _ = try await nodes[1].mustRegister(callee, calleePeer, "p.anonymous", request: 2)
        let (caller, _) = nodes[0].join(101, authid: "alice")
        try nodes[0].call(caller, "p.who", request: 1)
        let disclosed = try await invocation(calleePeer)
        XCTAssertEqual(disclosed.details.integer("caller"), 101)
        XCTAssertEqual(disclosed.details.string("caller_authid"), "alice")
        XCTAssertEqual(disclosed.details.string("caller_authrole"), "role-101")
        try nodes[0].call(caller, "p.anonymous", request: 2)
        let anonymous = try await invocation(calleePeer, count: 2)
        XCTAssertNil(anonymous.details.integer("caller"))
        try nodes[0].call(caller, "p.anonymous", #"{"disclose_me":true}"#, request: 3)
        let asked = try await invocation(calleePeer, count: 3)
        XCTAssertEqual(asked.details.string("caller_authid"), "alice")
    }

    func testPayloadPassthruAndBinaryPayloadsArriveIntact() async throws {
        let nodes = try await makeNodes(2)
        let (callee, calleePeer) = nodes[1].join(201, serialization: .msgpack)
        _ = try await nodes[1].mustRegister(callee, calleePeer, "p.opaque")
        let (caller, callerPeer) = nodes[0].join(101, serialization: .msgpack)
        // [bin 01 02 ff] in msgpack: not representable in JSON, passed through untouched.
        let bytes = ByteBuffer(bytes: [0x91, 0xC4, 0x03, 0x01, 0x02, 0xFF])
        let payload = Payload(serialization: .msgpack, argumentsBytes: bytes, argumentsKwBytes: nil)
        try nodes[0].realm.dealer.call(Call(request: 1, options: JSONValue.parse(#"{"ppt_scheme":"x_e2e","ppt_serializer":"cbor"}"#)!,
                                            procedure: "p.opaque", payload: payload), from: caller)
        let invocation = try await invocation(calleePeer)
        XCTAssertEqual(invocation.details.string("ppt_scheme"), "x_e2e")
        XCTAssertEqual(invocation.details.string("ppt_serializer"), "cbor")
        XCTAssertEqual(invocation.payload.argumentsBytes, bytes)
        try nodes[1].realm.dealer.yield(Yield(request: invocation.request, options: JSONValue.parse(#"{"ppt_scheme":"x_e2e"}"#)!,
                                              payload: payload), from: callee)
        let results = await callerPeer.wait("RESULT", \.results)
        XCTAssertEqual(results.first?.details.string("ppt_scheme"), "x_e2e")
        XCTAssertEqual(results.first?.payload.argumentsBytes, bytes)
    }

    func testACborCallerAndAJSONCalleeOnAnotherNodeGetConvertedPayloads() async throws {
        let nodes = try await makeNodes(2)
        let (callee, calleePeer) = nodes[1].join(201, serialization: .json)
        _ = try await nodes[1].mustRegister(callee, calleePeer, "p.convert")
        let (caller, callerPeer) = nodes[0].join(101, serialization: .cbor)
        let arguments = try Payload(arguments: RawJSON(#"[1.5,"ü",{"k":[true,null]}]"#)!).converted(to: .cbor)
        try nodes[0].realm.dealer.call(Call(request: 1, options: .emptyObject, procedure: "p.convert", payload: arguments), from: caller)
        let invocation = try await invocation(calleePeer)
        XCTAssertEqual(invocation.payload.arguments?.description, #"[1.5,"ü",{"k":[true,null]}]"#)
        try nodes[1].realm.dealer.yield(Yield(request: invocation.request, options: .emptyObject, payload: invocation.payload), from: callee)
        let results = await callerPeer.wait("RESULT", \.results)
        XCTAssertEqual(results.first?.payload.serialization, .cbor)
        XCTAssertEqual(try results.first?.payload.converted(to: .json).arguments?.description, #"[1.5,"ü",{"k":[true,null]}]"#)
    }
}
