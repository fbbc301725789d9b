import NIOCore
import Synchronization
import WampClient
import WampMessages
import XCTest

/// Swift task cancellation as WAMP call canceling: the caller's CANCEL with its mode, the
/// callee's handler task cancelled by INTERRUPT (or left alone for `skip`).
final class ClientCancellationTests: RouterTestCase {
    /// Registers `com.example.slow`, whose handler reports when it starts and how it ended
    /// ("cancelled" when its task was cancelled, "finished" when released by `release`).
    private func registerSlow(on callee: WampClient, started: Recorder<Int>, ended: Recorder<String>,
                              release: Recorder<Int>? = nil) async throws {
        _ = try await callee.register("com.example.slow") { _ in
            started.append(1)
            for _ in 0..<1000 {
                if Task.isCancelled { ended.append("cancelled"); throw CancellationError() }
                if let release, !release.all.isEmpty { break }
                try? await Task.sleep(for: .milliseconds(10))
            }
            ended.append(Task.isCancelled ? "cancelled" : "finished")
            return Payload(arguments: raw("[\"late\"]"))
        }
    }

    private func cancelSlowCall(_ caller: WampClient, mode: WampClient.CancelMode, started: Recorder<Int>) async throws {
        let task = Task { try await caller.call("com.example.slow", cancelMode: mode) }
        _ = try await started.wait(for: 1)
        task.cancel()
        let outcome = await task.result
        guard case .failure(let error) = outcome else { return XCTFail("the cancelled call returned \(outcome)") }
        XCTAssertTrue(error is CancellationError, "\(error)")
    }

    func testKillInterruptsTheCalleesTask() async throws {
        let callee = try await client()
        let caller = try await client()
        let started = Recorder<Int>(), ended = Recorder<String>()
        try await registerSlow(on: callee, started: started, ended: ended)
        try await cancelSlowCall(caller, mode: .kill, started: started)
        let endedValues = try await ended.wait(for: 1)
        XCTAssertEqual(endedValues, ["cancelled"])
        // The router got the callee's ERROR and freed the call: the same callee serves again.
        _ = try await callee.register("com.example.ping") { _ in Payload(arguments: raw("[\"pong\"]")) }
        let pong = try await withTimeout { try await caller.call("com.example.ping") }
        XCTAssertEqual(pong.payload.arguments?.description, #"["pong"]"#)
    }

    func testKillNoWaitInterruptsTheCalleesTask() async throws {
        let callee = try await client()
        let caller = try await client()
        let started = Recorder<Int>(), ended = Recorder<String>()
        try await registerSlow(on: callee, started: started, ended: ended)
        try await cancelSlowCall(caller, mode: .killnowait, started: started)
        let endedValues = try await ended.wait(for: 1)
        XCTAssertEqual(endedValues, ["cancelled"])
    }

    func testSkipLeavesTheCalleeRunning() async throws {
        let callee = try await client()
        let caller = try await client()
        let started = Recorder<Int>(), ended = Recorder<String>(), release = Recorder<Int>()
        try await registerSlow(on: callee, started: started, ended: ended, release: release)
        try await cancelSlowCall(caller, mode: .skip, started: started)
        // A later call from the same caller reaches the callee after anything the router did
        // about the CANCEL, so an INTERRUPT would have arrived by the time this returns.
        _ = try await callee.register("com.example.ping") { _ in .empty }
        _ = try await withTimeout { try await caller.call("com.example.ping") }
        release.append(1)
        let endedValues = try await ended.wait(for: 1)
        XCTAssertEqual(endedValues, ["finished"])
    }

    func testAlreadyCancelledTaskThrowsWithoutCalling() async throws {
        let callee = try await client()
        let caller = try await client()
        let started = Recorder<Int>(), ended = Recorder<String>()
        try await registerSlow(on: callee, started: started, ended: ended)
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await caller.call("com.example.slow")
        }
        let outcome = await task.result
        guard case .failure(let error) = outcome else { return XCTFail("\(outcome)") }
        XCTAssertTrue(error is CancellationError, "\(error)")
        _ = try await callee.register("com.example.ping") { _ in .empty }
        _ = try await withTimeout { try await caller.call("com.example.ping") }
        XCTAssertTrue(started.all.isEmpty, "the callee was invoked")
    }

    func testBreakingOutOfProgressiveResultsCancelsTheCall() async throws {
        let callee = try await client()
        let caller = try await client()
        let ended = Recorder<String>()
        _ = try await callee.register("com.example.ticker") { _, context in
            for i in 0..<1000 {
                if Task.isCancelled { ended.append("cancelled"); throw CancellationError() }
                try context.sendProgress(arguments: raw("[\(i)]"))
                try? await Task.sleep(for: .milliseconds(10))
            }
            ended.append("finished")
            return .empty
        }
        var first: String?
        for try await result in caller.callProgressive("com.example.ticker", cancelMode: .killnowait) {
            first = result.payload.arguments?.description
            break
        }
        XCTAssertEqual(first, "[0]")
        let endedValues = try await ended.wait(for: 1)
        XCTAssertEqual(endedValues, ["cancelled"])
    }

    func testCancellingTheIteratingTaskThrowsCancellationError() async throws {
        let callee = try await client()
        let caller = try await client()
        let ended = Recorder<String>(), received = Recorder<Int>()
        _ = try await callee.register("com.example.ticker") { _, context in
            for i in 0..<1000 {
                if Task.isCancelled { ended.append("cancelled"); throw CancellationError() }
                try context.sendProgress(arguments: raw("[\(i)]"))
                try? await Task.sleep(for: .milliseconds(10))
            }
            ended.append("finished")
            return .empty
        }
        let task = Task {
            for try await _ in caller.callProgressive("com.example.ticker") { received.append(1) }
        }
        _ = try await received.wait(for: 2)
        task.cancel()
        let outcome = await task.result
        guard case .failure(let error) = outcome else { return XCTFail("the iteration ended normally") }
        XCTAssertTrue(error is CancellationError, "\(error)")
        let endedValues = try await ended.wait(for: 1)
        XCTAssertEqual(endedValues, ["cancelled"])
    }

    /// The mode the caller chose is the mode the router acts on: a raw callee sees it in INTERRUPT.
    func testTheChosenModeReachesTheCalleeInInterrupt() async throws {
        let callee = try await RawPeer.connect(port: port)
        callee.send(AdvancedProfileTests.calleeHello)
        guard case .text(let welcome) = try await callee.next(), welcome.hasPrefix("[2,") else { return XCTFail("no WELCOME") }
        callee.send(#"[64,1,{},"com.example.raw"]"#)
        guard case .text(let registered) = try await callee.next(), registered.hasPrefix("[65,") else { return XCTFail("no REGISTERED") }
        let caller = try await client()
        for mode in [WampClient.CancelMode.kill, .killnowait] {
            let task = Task { try await caller.call("com.example.raw", cancelMode: mode) }
            guard case .invocation(let invocation) = try await nextMessage(callee) else { return XCTFail("no INVOCATION") }
            task.cancel()
            guard case .interrupt(let interrupt) = try await nextMessage(callee) else { return XCTFail("no INTERRUPT") }
            XCTAssertEqual(interrupt.request, invocation.request)
            XCTAssertEqual(interrupt.options.string("mode"), mode.rawValue)
            let outcome = await task.result
            guard case .failure(let error) = outcome else { return XCTFail("\(outcome)") }
            XCTAssertTrue(error is CancellationError, "\(error)")
            // Free the call on the router's side (kill waits for the callee's answer).
            callee.send(#"[8,68,\#(invocation.request),{},"wamp.error.canceled"]"#)
        }
    }

    private func nextMessage(_ peer: RawPeer) async throws -> WampMessage {
        guard case .text(let text) = try await peer.next() else { throw CancellationError() }
        return try MessageDecoder.decode(ByteBuffer(string: text))
    }
}
