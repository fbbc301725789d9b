import Foundation
import NIOCore
import NIOPosix
import XCTest

@testable import NATSClient
import NATSTestSupport

final class NATSConnectionTests: NATSServerTestCase {
    func testPublishSubscribeWithWildcardsAndHeaders() async throws {
        let connection = try await makeConnection()
        let exact = Collector<NATSMessage>()
        let star = Collector<NATSMessage>()
        let rest = Collector<NATSMessage>()
        try connection.subscribe("a.b.c") { exact.append($0) }
        try connection.subscribe("a.*.c") { star.append($0) }
        try connection.subscribe("a.>") { rest.append($0) }
        try await connection.flush()

        try connection.publish("a.b.c", payload: ByteBuffer(string: "one"))
        try connection.publish("a.x.c", payload: ByteBuffer(string: "two"), headers: NATSHeaders([("K", "1"), ("K", "2")]))
        try connection.publish("a.x.y.z", payload: ByteBuffer(string: "three"), replyTo: "back")
        try await connection.flush()
        await eventually("all deliveries") { exact.count == 1 && star.count == 2 && rest.count == 3 }

        XCTAssertEqual(exact.values.map { String(buffer: $0.payload) }, ["one"])
        XCTAssertEqual(Set(star.values.map { String(buffer: $0.payload) }), ["one", "two"])
        let withHeaders = star.values.first { $0.subject == "a.x.c" }
        XCTAssertEqual(withHeaders?.headers?.values("K"), ["1", "2"])
        XCTAssertEqual(rest.values.first { $0.subject == "a.x.y.z" }?.replyTo, "back")
        XCTAssertThrowsError(try connection.publish("a.*", payload: ByteBuffer()))
        XCTAssertThrowsError(try connection.subscribe("a..b") { _ in })
    }

    func testUnsubscribeStopsDeliveries() async throws {
        let connection = try await makeConnection()
        let received = Collector<NATSMessage>()
        let subscription = try connection.subscribe("u") { received.append($0) }
        try await connection.flush()
        try connection.publish("u", payload: ByteBuffer(string: "1"))
        try await connection.flush()
        await eventually("first") { received.count == 1 }
        connection.unsubscribe(subscription)
        try connection.publish("u", payload: ByteBuffer(string: "2"))
        try await connection.flush()
        try await Task.sleep(nanoseconds: 100_000_000)
        XCTAssertEqual(received.count, 1)
    }

    func testQueueGroupSplitsMessages() async throws {
        let connection = try await makeConnection()
        let first = Collector<NATSMessage>()
        let second = Collector<NATSMessage>()
        try connection.subscribe("jobs", queueGroup: "workers") { first.append($0) }
        try connection.subscribe("jobs", queueGroup: "workers") { second.append($0) }
        try await connection.flush()
        for index in 0..<200 { try connection.publish("jobs", payload: ByteBuffer(string: "\(index)")) }
        try await connection.flush()
        await eventually("200 deliveries") { first.count + second.count == 200 }
        XCTAssertGreaterThan(first.count, 0, "both members get some")
        XCTAssertGreaterThan(second.count, 0, "both members get some")
        let all = Set((first.values + second.values).map { String(buffer: $0.payload) })
        XCTAssertEqual(all.count, 200, "each message exactly once")
    }

    func testRequestReplyNoRespondersAndTimeout() async throws {
        let server = try await makeConnection(name: "responder")
        let client = try await makeConnection(name: "requester")
        try server.subscribe("echo") { message in
            guard let replyTo = message.replyTo else { return }
            try? server.publish(replyTo, payload: ByteBuffer(string: "re: " + String(buffer: message.payload)))
        }
        try server.subscribe("silent") { _ in }
        try await server.flush()

        let reply = try await client.request("echo", payload: ByteBuffer(string: "hi"), timeout: .seconds(2))
        XCTAssertEqual(String(buffer: reply.payload), "re: hi")
        // Many at once over the one inbox subscription.
        try await withThrowingTaskGroup(of: String.self) { group in
            for index in 0..<50 {
                group.addTask { String(buffer: try await client.request("echo", payload: ByteBuffer(string: "\(index)")).payload) }
            }
            var answers = Set<String>()
            for try await answer in group { answers.insert(answer) }
            XCTAssertEqual(answers, Set((0..<50).map { "re: \($0)" }))
        }

        do {
            _ = try await client.request("nobody.home", payload: ByteBuffer(), timeout: .seconds(2))
            XCTFail("no responders expected")
        } catch { XCTAssertEqual(error as? NATSError, .noResponders) }

        let start = Date()
        do {
            _ = try await client.request("silent", payload: ByteBuffer(), timeout: .milliseconds(200))
            XCTFail("timeout expected")
        } catch { XCTAssertEqual(error as? NATSError, .timeout) }
        XCTAssertLessThan(Date().timeIntervalSince(start), 1.5)
    }

    func testPendingRequestsAreBounded() async throws {
        let server = try await makeConnection(name: "responder")
        try server.subscribe("slow") { _ in }
        try await server.flush()
        let client = try await makeConnection(name: "requester") { $0.maxPendingRequests = 2 }
        let first = client.requestFuture("slow", payload: ByteBuffer(), timeout: .seconds(1))
        let second = client.requestFuture("slow", payload: ByteBuffer(), timeout: .seconds(1))
        do {
            _ = try await client.request("slow", payload: ByteBuffer(), timeout: .seconds(1))
            XCTFail("the third must be refused")
        } catch { XCTAssertEqual(error as? NATSError, .tooManyPendingRequests(limit: 2)) }
        _ = try? await first.get()
        _ = try? await second.get()
    }

    func testTooLargeForServerMaxPayload() async throws {
        let connection = try await makeConnection()
        XCTAssertEqual(connection.maxPayload, 1 << 20)
        let big = ByteBuffer(repeating: 0x41, count: (1 << 20) + 1)
        XCTAssertThrowsError(try connection.publish("big", payload: big)) { error in
            XCTAssertEqual(error as? NATSError, .messageTooLarge(size: (1 << 20) + 1, limit: 1 << 20))
        }
    }

    func testReconnectAfterServerRestart() async throws {
        let events = Collector<NATSConnectionEvent>()
        let connection = try await makeConnection(configure: {
            $0.maxReconnectAttempts = nil
            $0.reconnectWaitMax = .milliseconds(200)
        }) { events.append($0) }
        let received = Collector<NATSMessage>()
        try connection.subscribe("resume.>") { received.append($0) }
        try await connection.flush()
        XCTAssertEqual(events.values, [.connected(try NATSServerAddress(server.url))])

        server.stop()
        await eventually("disconnected event") { events.values.contains(.disconnected) }
        XCTAssertThrowsError(try connection.publish("resume.x", payload: ByteBuffer())) { error in
            XCTAssertEqual(error as? NATSError, .notConnected, "a publish while down fails at once")
        }
        do {
            try await connection.flush()
            XCTFail("flush while down must fail")
        } catch { XCTAssertEqual(error as? NATSError, .notConnected) }

        try server.start()
        await eventually("reconnected event", within: 8) { events.values.contains(.reconnected(try! NATSServerAddress(self.server.url))) }
        try connection.publish("resume.x", payload: ByteBuffer(string: "after"))
        try await connection.flush()
        await eventually("the subscription resumed") { received.count == 1 }
        XCTAssertEqual(received.values.first.map { String(buffer: $0.payload) }, "after")
    }

    func testGivesUpAfterMaxReconnectAttempts() async throws {
        let events = Collector<NATSConnectionEvent>()
        _ = try await makeConnection(configure: {
            $0.maxReconnectAttempts = 2
            $0.reconnectWaitMax = .milliseconds(50)
            $0.connectTimeout = .milliseconds(300)
        }) { events.append($0) }
        server.stop()
        await eventually("closed for good") { events.values.last == .closed }
        XCTAssertEqual(events.values.count, 3, "\(events.values)")
    }

    func testStaleConnectionIsDetected() async throws {
        // A "server" that sends INFO and answers nothing else, after the handshake's PONG.
        let events = Collector<NATSConnectionEvent>()
        let fake = try FakeServer(script: "INFO {\"server_id\":\"fake\"}\r\n", answerFirstPing: true)
        defer { fake.stop() }
        var configuration = NATSConnectionConfiguration(servers: [NATSServerAddress(host: "127.0.0.1", port: fake.port)], name: "t")
        configuration.pingInterval = .milliseconds(100)
        configuration.maxPingsOutstanding = 2
        configuration.maxReconnectAttempts = 0
        let connection = NATSConnection(configuration: configuration, eventLoop: MultiThreadedEventLoopGroup.singleton.next()) {
            events.append($0)
        }
        connections.append(connection)
        try await connection.connect()
        await eventually("declared dead after unanswered pings", within: 3) { events.values.contains(.disconnected) }
    }

    func testHostileServerBytesCloseTheConnection() async throws {
        // A payload size far beyond max_payload: a protocol error, the channel closes, no crash.
        let fake = try FakeServer(script: "INFO {\"server_id\":\"fake\"}\r\nMSG a 1 99999999999\r\n", answerFirstPing: true)
        defer { fake.stop() }
        var configuration = NATSConnectionConfiguration(servers: [NATSServerAddress(host: "127.0.0.1", port: fake.port)], name: "t")
        configuration.maxReconnectAttempts = 1
        configuration.reconnectWaitMax = .milliseconds(20)
        let connection = NATSConnection(configuration: configuration, eventLoop: MultiThreadedEventLoopGroup.singleton.next())
        connections.append(connection)
        do {
            try await connection.connect()
            XCTFail("the handshake must not complete")
        } catch { XCTAssertEqual(error as? NATSError, .closed) }
    }

    func testSkipsDeadServersOfTheList() async throws {
        let dead = try NATSServerProcess()
        let deadPort = dead.port
        dead.stop()
        dead.removeStore()
        let events = Collector<NATSConnectionEvent>()
        _ = try await makeConnection(configure: {
            $0.servers = [NATSServerAddress(host: "127.0.0.1", port: deadPort), try! NATSServerAddress(self.server.url)]
        }) { events.append($0) }
        XCTAssertEqual(events.values, [.connected(try NATSServerAddress(server.url))])
    }

    func testUserAndPassword() async throws {
        server.stop()
        server.removeStore()
        server = try NATSServerProcess(extraArguments: ["--user", "router", "--pass", "right"])
        let connection = try await makeConnection { $0.user = "router"; $0.password = "right" }
        try await connection.flush()
        do {
            _ = try await makeConnection { $0.user = "router"; $0.password = "wrong"; $0.maxReconnectAttempts = 0 }
            XCTFail("a wrong password must not connect")
        } catch { XCTAssertEqual(error as? NATSError, .closed) }
    }
}
