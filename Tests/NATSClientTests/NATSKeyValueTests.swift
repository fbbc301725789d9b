import Foundation
import NIOCore
import XCTest

@testable import NATSClient

final class NATSKeyValueTests: NATSServerTestCase {
    private func bucket(_ name: String = "realms", configure: (inout NATSKeyValueConfiguration) -> Void = { _ in }) async throws -> NATSKeyValue {
        let connection = try await makeConnection()
        var configuration = NATSKeyValueConfiguration(bucket: name)
        configuration.history = 3
        configure(&configuration)
        return try await NATSKeyValue.createOrBind(configuration, on: connection)
    }

    func testPutGetDelete() async throws {
        let kv = try await bucket()
        let missing = try await kv.get("nope")
        XCTAssertNil(missing)
        let revision = try await kv.put("a.b", ByteBuffer(string: "one"))
        let entry = try await kv.get("a.b")
        XCTAssertEqual(entry, NATSKeyValueEntry(key: "a.b", value: ByteBuffer(string: "one"), revision: revision, operation: .put))
        let second = try await kv.put("a.b", ByteBuffer(string: "two"))
        XCTAssertGreaterThan(second, revision)
        let deleted = try await kv.delete("a.b")
        let afterDelete = try await kv.get("a.b")
        XCTAssertEqual(afterDelete?.operation, .delete)
        XCTAssertEqual(afterDelete?.revision, deleted)
        try await kv.purge("a.b")
        let afterPurge = try await kv.get("a.b")
        XCTAssertEqual(afterPurge?.operation, .purge)
        do {
            _ = try await kv.put("bad key", ByteBuffer())
            XCTFail("invalid key")
        } catch { XCTAssertEqual(error as? NATSKeyValueError, .invalidKey("bad key")) }
    }

    func testBindsToExistingBucket() async throws {
        let first = try await bucket()
        try await first.put("k", ByteBuffer(string: "v"))
        // Another configuration: the first creator's stands, and the data is shared.
        let second = try await NATSKeyValue.createOrBind(NATSKeyValueConfiguration(bucket: "realms"), on: try await makeConnection())
        let entry = try await second.get("k")
        XCTAssertEqual(entry.map { String(buffer: $0.value) }, "v")
    }

    func testCreateIsAtomicAndWorksAfterDelete() async throws {
        let kv = try await bucket()
        let created = try await kv.create("realm1", ByteBuffer(string: "node-a"))
        do {
            try await kv.create("realm1", ByteBuffer(string: "node-b"))
            XCTFail("second create must fail")
        } catch { XCTAssertEqual(error as? NATSKeyValueError, .keyExists("realm1")) }
        try await kv.delete("realm1")
        let again = try await kv.create("realm1", ByteBuffer(string: "node-b"))
        XCTAssertGreaterThan(again, created)
        let entry = try await kv.get("realm1")
        XCTAssertEqual(entry.map { String(buffer: $0.value) }, "node-b")
        try await kv.purge("realm1")
        try await kv.create("realm1", ByteBuffer(string: "node-c"))
    }

    func testUpdateWithStaleRevision() async throws {
        let kv = try await bucket()
        let first = try await kv.put("k", ByteBuffer(string: "1"))
        let second = try await kv.update("k", ByteBuffer(string: "2"), revision: first)
        do {
            try await kv.update("k", ByteBuffer(string: "3"), revision: first)
            XCTFail("stale revision must fail")
        } catch { XCTAssertEqual(error as? NATSKeyValueError, .wrongRevision("k")) }
        let entry = try await kv.get("k")
        XCTAssertEqual(entry?.revision, second)
        XCTAssertEqual(entry.map { String(buffer: $0.value) }, "2")
    }

    func testConditionalDeleteOnlyRemovesTheRevisionItWasGiven() async throws {
        let kv = try await bucket()
        let first = try await kv.put("k", ByteBuffer(string: "1"))
        let second = try await kv.update("k", ByteBuffer(string: "2"), revision: first)
        do {
            try await kv.delete("k", revision: first)
            XCTFail("a delete on a stale revision must fail")
        } catch { XCTAssertEqual(error as? NATSKeyValueError, .wrongRevision("k")) }
        let kept = try await kv.get("k")
        XCTAssertEqual(kept.map { String(buffer: $0.value) }, "2")
        let deleted = try await kv.delete("k", revision: second)
        let entry = try await kv.get("k")
        XCTAssertEqual(entry?.operation, .delete)
        XCTAssertEqual(entry?.revision, deleted)
        // A create after it succeeds, as after an unconditional delete.
        try await kv.create("k", ByteBuffer(string: "3"))
    }

    func testMaxAgeExpiresValues() async throws {
        let kv = try await bucket("ttl") {
            $0.maxAge = .seconds(1)
            $0.storage = .memory
        }
        try await kv.put("short", ByteBuffer(string: "lived"))
        let before = try await kv.get("short")
        XCTAssertNotNil(before)
        let deadline = Date().addingTimeInterval(5)
        var gone = false
        while Date() < deadline, !gone {
            try await Task.sleep(nanoseconds: 200_000_000)
            gone = try await kv.get("short") == nil
        }
        XCTAssertTrue(gone, "the value outlived max_age by more than 4 s")
    }

    func testWatchDeliversInitialValuesThenUpdates() async throws {
        let kv = try await bucket()
        try await kv.put("a", ByteBuffer(string: "1"))
        try await kv.put("b", ByteBuffer(string: "1"))
        try await kv.put("a", ByteBuffer(string: "2"))
        try await kv.put("other.x", ByteBuffer(string: "1"))
        let events = Collector<NATSKeyValueWatcher.Event>()
        let watcher = try await kv.watch("*") { events.append($0) }
        await eventually("initial values") { events.values.contains(.initialValuesDone) }
        let initial = events.values.prefix { $0 != .initialValuesDone }.compactMap { event -> String? in
            guard case .entry(let entry) = event else { return nil }
            return "\(entry.key)=\(String(buffer: entry.value))"
        }
        XCTAssertEqual(initial.sorted(), ["a=2", "b=1"], "the latest of each matching key, once")
        try await kv.put("b", ByteBuffer(string: "2"))
        try await kv.delete("a")
        try await kv.put("other.y", ByteBuffer(string: "no"))
        await eventually("updates") { events.count == 5 }
        XCTAssertEqual(Array(events.values.suffix(2)).map { event -> String in
            guard case .entry(let entry) = event else { return "done" }
            return "\(entry.key) \(entry.operation.rawValue)"
        }, ["b PUT", "a DEL"])
        await watcher.stop()
        try await kv.put("b", ByteBuffer(string: "3"))
        try await Task.sleep(nanoseconds: 100_000_000)
        XCTAssertEqual(events.count, 5, "nothing after stop")
    }

    func testWatchOfEmptyBucketAndKeys() async throws {
        let kv = try await bucket()
        let events = Collector<NATSKeyValueWatcher.Event>()
        let watcher = try await kv.watch { events.append($0) }
        await eventually("done at once") { events.values == [.initialValuesDone] }
        await watcher.stop()
        let none = try await kv.keys()
        XCTAssertEqual(none, [])
        try await kv.put("x", ByteBuffer(string: "1"))
        try await kv.put("y.z", ByteBuffer(string: "1"))
        try await kv.put("w", ByteBuffer(string: "1"))
        try await kv.delete("w")
        let keys = try await kv.keys()
        XCTAssertEqual(keys, ["x", "y.z"])
    }

    func testWatchRecoversFromAGap() async throws {
        let kv = try await bucket()
        try await kv.put("a", ByteBuffer(string: "1"))
        let events = Collector<NATSKeyValueWatcher.Event>()
        let watcher = try await kv.watch { events.append($0) }
        await eventually("initial values") { events.values.contains(.initialValuesDone) }
        let connection = kv.api.connection
        // A delivery whose consumer sequence skips ahead, as when messages were lost: the watcher
        // must replace its consumer, starting after the last stream sequence it delivered.
        let before = try await connection.eventLoop.submit { watcher.subscription }.get()
        let deliverSubject = try XCTUnwrap(before?.subject)
        try await connection.eventLoop.submit {
            watcher.receive(
                NATSMessage(subject: "$KV.realms.ghost", sid: 0, replyTo: "$JS.ACK.KV_realms.x.1.99.5.0.0", payload: ByteBuffer()),
                on: deliverSubject)
        }.get()
        var replaced = false
        for _ in 0..<300 where !replaced {
            let now = try await connection.eventLoop.submit { watcher.subscription }.get()
            replaced = now != nil && now?.subject != deliverSubject
            if !replaced { try await Task.sleep(nanoseconds: 10_000_000) }
        }
        XCTAssertTrue(replaced, "a new consumer on a new inbox within 3 s")
        try await kv.put("a", ByteBuffer(string: "2"))
        try await kv.put("b", ByteBuffer(string: "1"))
        await eventually("updates after the gap") { events.count == 4 }
        let keys = events.values.compactMap { event -> String? in
            guard case .entry(let entry) = event else { return nil }
            return "\(entry.key)=\(String(buffer: entry.value))"
        }
        XCTAssertEqual(keys, ["a=1", "a=2", "b=1"], "nothing lost, nothing twice, no ghost")
        await watcher.stop()
    }

    func testWatchReplacesAConsumerThatIsGone() async throws {
        let kv = try await bucket()
        try await kv.put("a", ByteBuffer(string: "1"))
        let events = Collector<NATSKeyValueWatcher.Event>()
        let watcher = try await kv.watch(">", headersOnly: false, idleHeartbeat: .milliseconds(300)) { events.append($0) }
        await eventually("initial values") { events.values.contains(.initialValuesDone) }
        let connection = kv.api.connection
        let named = try await connection.eventLoop.submit { watcher.consumerName }.get()
        let gone = try XCTUnwrap(named)
        // What a server restart or an expired ephemeral consumer looks like to the client: the
        // consumer no longer exists and nothing, not even a heartbeat, arrives.
        _ = try await kv.api.call("CONSUMER.DELETE.\(kv.streamName).\(gone)")
        try await kv.put("b", ByteBuffer(string: "1"))
        await eventually("the change made while the consumer was gone", within: 5) { events.count == 3 }
        // The new consumer's deliveries can reach the client before the reply that names it, so
        // its name is waited for rather than read once.
        var replacement: String?
        for _ in 0..<300 where replacement == nil {
            replacement = try await connection.eventLoop.submit { watcher.consumerName }.get()
            if replacement == nil { try await Task.sleep(nanoseconds: 10_000_000) }
        }
        XCTAssertNotNil(replacement, "the replacement consumer is named within 3 s")
        XCTAssertNotEqual(replacement, gone)
        try await kv.put("a", ByteBuffer(string: "2"))
        await eventually("changes after the replacement") { events.count == 4 }
        let keys = events.values.compactMap { event -> String? in
            guard case .entry(let entry) = event else { return nil }
            return "\(entry.key)=\(String(buffer: entry.value))"
        }
        XCTAssertEqual(keys, ["a=1", "b=1", "a=2"], "nothing lost, nothing twice")
        await watcher.stop()
    }

    func testAWatchThatCannotMakeItsConsumerLeavesNoSubscription() async throws {
        let kv = try await bucket()
        let connection = kv.api.connection
        let before = try await connection.eventLoop.submit { connection.subscriptionCount }.get()
        // The stream behind the bucket is gone, so CONSUMER.CREATE fails, as it does over and
        // over while a resync waits for JetStream to come back.
        _ = try await kv.api.call("STREAM.DELETE.\(kv.streamName)")
        for _ in 0..<3 {
            do {
                _ = try await kv.watch { _ in }
                XCTFail("a watch on a bucket without a stream must fail")
            } catch {}
        }
        let after = try await connection.eventLoop.submit { connection.subscriptionCount }.get()
        XCTAssertEqual(after, before, "no inbox left subscribed by the failed attempts")
    }

    func testMaxValueSize() async throws {
        let kv = try await bucket("small") { $0.maxValueSize = 16 }
        try await kv.put("fits", ByteBuffer(repeating: 0x61, count: 8))
        do {
            try await kv.put("big", ByteBuffer(repeating: 0x61, count: 64))
            XCTFail("a value over max_msg_size must be refused")
        } catch NATSKeyValueError.jetStream(let error) {
            XCTAssertEqual(error.code, 400)
            XCTAssertNotEqual(error.errorCode, 0)
        }
        let big = try await kv.get("big")
        XCTAssertNil(big)
    }
}
