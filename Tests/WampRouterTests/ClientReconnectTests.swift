import WampClient
import WampMessages
import XCTest

/// Automatic reconnect: a lost transport or a killed session is followed by a new session with
/// the same registrations and subscriptions; calls in flight fail instead of hanging.
final class ClientReconnectTests: RouterTestCase {
    private let quick = WampClient.ReconnectPolicy(maxAttempts: 20, initialDelay: .milliseconds(20), maxDelay: .milliseconds(200))

    private func reconnecting() async throws -> WampClient {
        try await WampClient.connect(port: port, realm: "realm1", reconnect: quick)
    }

    private func nextRejoin(_ events: AsyncStream<WampClient.ConnectionEvent>) async throws -> WampID {
        try await withTimeout(10, "a rejoin") {
            for await event in events {
                if case .rejoined(let session) = event { return session }
            }
            throw TimedOut(what: "a rejoin (the events ended)")
        }
    }

    func testKilledSessionRejoinsWithItsRegistrationAndSubscription() async throws {
        let service = try await reconnecting()
        let admin = try await client()
        let events = service.connectionEvents()
        let received = Recorder<String>()
        let registration = try await service.register("com.example.rc.echo") { invocation in invocation.payload }
        let subscription = try await service.subscribe("com.example.rc.news") { event in
            received.append(event.payload.arguments?.description ?? "-")
        }
        let oldSession = service.sessionID

        _ = try await admin.call("wamp.session.kill", arguments: raw("[\(oldSession)]"))
        let newSession = try await nextRejoin(events)
        XCTAssertNotEqual(newSession, oldSession)
        XCTAssertEqual(service.sessionID, newSession)
        XCTAssertTrue(service.isConnected)

        let echoed = try await withTimeout { try await admin.call("com.example.rc.echo", arguments: raw("[\"again\"]")) }
        XCTAssertEqual(echoed.payload.arguments?.description, #"["again"]"#)
        try await admin.publish("com.example.rc.news", arguments: raw("[7]"), acknowledge: true)
        let receivedValues = try await received.wait(for: 1)
        XCTAssertEqual(receivedValues, ["[7]"])

        // The IDs handed out before the loss still work.
        try await service.unregister(registration)
        try await service.unsubscribe(subscription)
        await assertError("wamp.error.no_such_procedure") { _ = try await admin.call("com.example.rc.echo") }
    }

    func testCallInFlightFailsOnLossAndCallsWorkAfterRejoin() async throws {
        let caller = try await reconnecting()
        let callee = try await client()
        _ = try await callee.register("com.example.rc.hang") { _ in
            for _ in 0..<1000 where !Task.isCancelled { try? await Task.sleep(for: .milliseconds(10)) }
            return .empty
        }
        _ = try await callee.register("com.example.rc.ping") { _ in Payload(arguments: raw("[1]")) }
        let events = caller.connectionEvents()
        let pending = Task { try await caller.call("com.example.rc.hang") }
        try await Task.sleep(for: .milliseconds(50))
        caller.dropTransport()
        let outcome = await pending.result
        guard case .failure(WampClientError.connectionClosed) = outcome else { return XCTFail("\(outcome)") }

        _ = try await nextRejoin(events)
        let pong = try await withTimeout { try await caller.call("com.example.rc.ping") }
        XCTAssertEqual(pong.payload.arguments?.description, "[1]")
    }

    func testWithoutPolicyALostTransportEndsTheClient() async throws {
        let plain = try await client()
        let events = plain.connectionEvents()
        plain.dropTransport()
        try await withTimeout { await plain.waitUntilClosed() }
        let seen = try await withTimeout { await events.reduce(into: [WampClient.ConnectionEvent]()) { $0.append($1) } }
        XCTAssertEqual(seen, [.closed])
        XCTAssertFalse(plain.isConnected)
        do {
            _ = try await plain.call("com.example.any")
            XCTFail("a call on a closed client succeeded")
        } catch WampClientError.connectionClosed {
        }
    }

    func testGivesUpAfterItsAttemptsWhenTheRouterIsGone() async throws {
        let policy = WampClient.ReconnectPolicy(maxAttempts: 3, initialDelay: .milliseconds(10), maxDelay: .milliseconds(20))
        let lonely = try await WampClient.connect(port: port, realm: "realm1", reconnect: policy)
        let events = lonely.connectionEvents()
        await router.shutdown()
        router = nil
        let seen = try await withTimeout(20) { await events.reduce(into: [WampClient.ConnectionEvent]()) { $0.append($1) } }
        XCTAssertEqual(seen, [.disconnected(attemptsAllowed: 3), .closed])
        try await withTimeout { await lonely.waitUntilClosed() }
    }

    func testLeaveDuringReconnectEndsIt() async throws {
        let policy = WampClient.ReconnectPolicy(maxAttempts: 5, initialDelay: .seconds(2), maxDelay: .seconds(2))
        let client = try await WampClient.connect(port: port, realm: "realm1", reconnect: policy)
        let events = client.connectionEvents()
        client.dropTransport()
        try await withTimeout { for await event in events { if case .disconnected = event { return } } }
        try await client.leave()
        try await withTimeout { await client.waitUntilClosed() }
        XCTAssertFalse(client.isConnected)
    }

    func testAProcedureTakenMeanwhileIsReportedAndDropped() async throws {
        let policy = WampClient.ReconnectPolicy(maxAttempts: 5, initialDelay: .seconds(1), maxDelay: .seconds(1))
        let service = try await WampClient.connect(port: port, realm: "realm1", reconnect: policy)
        let rival = try await client()
        let events = service.connectionEvents()
        _ = try await service.register("com.example.rc.contested") { _ in Payload(arguments: raw("[\"service\"]")) }
        _ = try await service.register("com.example.rc.kept") { _ in Payload(arguments: raw("[\"kept\"]")) }
        _ = try await rival.call("wamp.session.kill", arguments: raw("[\(service.sessionID)]"))
        // The killed session's registration goes with it; the rival takes the procedure while
        // the service waits out its first backoff.
        var taken = false
        for _ in 0..<100 where !taken {
            do {
                _ = try await rival.register("com.example.rc.contested") { _ in Payload(arguments: raw("[\"rival\"]")) }
                taken = true
            } catch {
                try await Task.sleep(for: .milliseconds(10))
            }
        }
        XCTAssertTrue(taken)
        let seen = try await withTimeout(10, "rejoin") {
            var seen: [WampClient.ConnectionEvent] = []
            for await event in events {
                seen.append(event)
                if case .rejoined = event { break }
            }
            return seen
        }
        XCTAssertEqual(seen.count, 3, "\(seen)")
        XCTAssertEqual(seen.first, .disconnected(attemptsAllowed: 5))
        guard seen.count == 3, case .restoreFailed(let uri, let error) = seen[1] else { return XCTFail("\(seen)") }
        XCTAssertEqual(uri, "com.example.rc.contested")
        XCTAssertTrue(error.contains("wamp.error.procedure_already_exists"), error)
        let contested = try await rival.call("com.example.rc.contested")
        XCTAssertEqual(contested.payload.arguments?.description, #"["rival"]"#)
        let kept = try await rival.call("com.example.rc.kept")
        XCTAssertEqual(kept.payload.arguments?.description, #"["kept"]"#)
    }

    func testProgressiveResultsInFlightThrowOnLoss() async throws {
        let caller = try await reconnecting()
        let callee = try await client()
        _ = try await callee.register("com.example.rc.ticker") { _, context in
            for i in 0..<1000 where !Task.isCancelled {
                try context.sendProgress(arguments: raw("[\(i)]"))
                try? await Task.sleep(for: .milliseconds(10))
            }
            return .empty
        }
        var progressSeen = 0
        do {
            for try await _ in caller.callProgressive("com.example.rc.ticker") {
                progressSeen += 1
                if progressSeen == 2 { caller.dropTransport() }
            }
            XCTFail("the sequence ended normally")
        } catch WampClientError.connectionClosed {
        }
        XCTAssertGreaterThanOrEqual(progressSeen, 2)
    }
}
