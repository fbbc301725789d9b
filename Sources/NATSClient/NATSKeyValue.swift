import Foundation
import NIOConcurrencyHelpers
import NIOCore

/// A JetStream key-value bucket, the way other NATS clients lay it out: stream `KV_<bucket>`
/// over subjects `$KV.<bucket>.<key>`, the last message of a subject being the key's entry.
///
/// Writes are publishes answered by a PubAck; revisions are stream sequences; conditional
/// writes use `Nats-Expected-Last-Subject-Sequence` (a mismatch is JetStream error 10071).
/// Reads are direct gets (`allow_direct`), answered by any replica without the stream leader.
public final class NATSKeyValue: Sendable {
    public let bucket: String
    let streamName: String
    let subjectPrefix: String
    let api: NATSJetStreamAPI

    init(bucket: String, api: NATSJetStreamAPI) {
        self.bucket = bucket
        self.streamName = "KV_" + bucket
        self.subjectPrefix = "$KV." + bucket + "."
        self.api = api
    }

    /// Creates the bucket's stream, or binds to it when it exists (with this or another
    /// configuration: the first creator's configuration stands).
    public static func createOrBind(
        _ configuration: NATSKeyValueConfiguration, on connection: NATSConnection, timeout: TimeAmount = .seconds(2)
    ) async throws -> NATSKeyValue {
        guard NATSKeyValueError.isValidBucket(configuration.bucket) else {
            throw NATSKeyValueError.invalidBucket(configuration.bucket)
        }
        let kv = NATSKeyValue(bucket: configuration.bucket, api: NATSJetStreamAPI(connection: connection, timeout: timeout))
        do {
            _ = try await kv.api.call("STREAM.CREATE." + kv.streamName, streamConfig(configuration))
        } catch let error as NATSJetStreamError where error.errorCode == NATSJetStreamError.streamNameInUse {
            _ = try await kv.jetStream { try await kv.api.call("STREAM.INFO." + kv.streamName) }
        } catch let error as NATSJetStreamError {
            throw NATSKeyValueError.jetStream(error)
        }
        return kv
    }

    static func streamConfig(_ configuration: NATSKeyValueConfiguration) -> [String: Any] {
        let maxAge = configuration.maxAge?.nanoseconds ?? 0
        // The duplicate window may not exceed max_age; two minutes otherwise, the server's default.
        let twoMinutes = TimeAmount.minutes(2).nanoseconds
        let duplicateWindow = maxAge > 0 ? min(maxAge, twoMinutes) : twoMinutes
        return [
            "name": "KV_" + configuration.bucket,
            "subjects": ["$KV.\(configuration.bucket).>"],
            "retention": "limits",
            "max_consumers": -1, "max_msgs": -1, "max_bytes": -1,
            "max_age": maxAge,
            "max_msgs_per_subject": max(1, configuration.history),
            "max_msg_size": configuration.maxValueSize ?? -1,
            "storage": configuration.storage.rawValue,
            "discard": "new",
            "num_replicas": max(1, configuration.replicas),
            "duplicate_window": duplicateWindow,
            "allow_rollup_hdrs": true,
            "deny_delete": true,
            "deny_purge": false,
            "allow_direct": true,
        ]
    }

    // MARK: Reads

    /// The key's latest entry, a delete or purge marker included (see `operation`); nil when
    /// the key never had one or it expired.
    public func get(_ key: String) async throws -> NATSKeyValueEntry? {
        try validate(key)
        let reply = try await api.connection.request(
            "$JS.API.DIRECT.GET.\(streamName).\(subjectPrefix)\(key)", payload: ByteBuffer(), timeout: api.timeout)
        if let status = reply.status {
            if status == 404 { return nil }
            throw NATSKeyValueError.malformedResponse("direct get status \(status) \(reply.headers?.statusDescription ?? "")")
        }
        guard let sequence = reply.headers?["Nats-Sequence"].flatMap(UInt64.init) else {
            throw NATSKeyValueError.malformedResponse("direct get without Nats-Sequence")
        }
        return NATSKeyValueEntry(
            key: key, value: reply.payload, revision: sequence, operation: NATSKeyValueEntry.operation(of: reply.headers))
    }

    // MARK: Writes

    /// Stores a value whatever the key holds; returns its revision.
    @discardableResult
    public func put(_ key: String, _ value: ByteBuffer) async throws -> UInt64 {
        try validate(key)
        return try await jetStream { try await api.publish(subjectPrefix + key, payload: value, headers: nil) }
    }

    /// Stores a value only if the key has none (never written, deleted, purged or expired);
    /// throws `keyExists` otherwise. Atomic: two routers creating the same key, one wins.
    @discardableResult
    public func create(_ key: String, _ value: ByteBuffer) async throws -> UInt64 {
        do {
            return try await write(key, value, expecting: 0)
        } catch NATSKeyValueError.wrongRevision {
            // The key's last entry may be a delete or purge marker: then it has no value and the
            // create is an update of that marker's revision (still conditional, still atomic).
            guard let last = try await get(key), last.operation != .put else { throw NATSKeyValueError.keyExists(key) }
            do {
                return try await write(key, value, expecting: last.revision)
            } catch NATSKeyValueError.wrongRevision {
                throw NATSKeyValueError.keyExists(key)
            }
        }
    }

    /// Stores a value only if `revision` is still the key's latest; throws `wrongRevision` otherwise.
    @discardableResult
    public func update(_ key: String, _ value: ByteBuffer, revision: UInt64) async throws -> UInt64 {
        try await write(key, value, expecting: revision)
    }

    /// Writes a delete marker (history before it stays until it ages out).
    @discardableResult
    public func delete(_ key: String) async throws -> UInt64 {
        try validate(key)
        return try await jetStream {
            try await api.publish(subjectPrefix + key, payload: ByteBuffer(), headers: NATSHeaders([("KV-Operation", "DEL")]))
        }
    }

    /// Writes a delete marker only if `revision` is still the key's latest; throws
    /// `wrongRevision` otherwise. The compare-and-set form of `delete`: "remove it unless someone
    /// changed it meanwhile".
    @discardableResult
    public func delete(_ key: String, revision: UInt64) async throws -> UInt64 {
        try await write(key, ByteBuffer(), expecting: revision, operation: "DEL")
    }

    /// Writes a purge marker that also removes all earlier entries of the key (a rollup).
    @discardableResult
    public func purge(_ key: String) async throws -> UInt64 {
        try validate(key)
        return try await jetStream {
            try await api.publish(
                subjectPrefix + key, payload: ByteBuffer(),
                headers: NATSHeaders([("KV-Operation", "PURGE"), ("Nats-Rollup", "sub")]))
        }
    }

    private func write(_ key: String, _ value: ByteBuffer, expecting revision: UInt64, operation: String? = nil) async throws -> UInt64 {
        try validate(key)
        var headers = NATSHeaders([("Nats-Expected-Last-Subject-Sequence", String(revision))])
        if let operation { headers.add("KV-Operation", operation) }
        do {
            return try await api.publish(subjectPrefix + key, payload: value, headers: headers)
        } catch let error as NATSJetStreamError where error.errorCode == NATSJetStreamError.wrongLastSequence {
            throw NATSKeyValueError.wrongRevision(key)
        } catch let error as NATSJetStreamError {
            throw NATSKeyValueError.jetStream(error)
        }
    }

    // MARK: Watching

    /// Watches keys matching `pattern` (`>` for all; `*`, `>` as in subjects): first the latest
    /// entry of each (deletes included), then `.initialValuesDone`, then every change, all on
    /// the connection's event loop. Stop it with `NATSKeyValueWatcher.stop()`.
    public func watch(
        _ pattern: String = ">", onEvent: @escaping @Sendable (NATSKeyValueWatcher.Event) -> Void
    ) async throws -> NATSKeyValueWatcher {
        try await watch(pattern, headersOnly: false, onEvent: onEvent)
    }

    /// The keys matching `pattern` (`>` for all; `*`, `>` as in subjects) that have a value now
    /// (deleted and purged ones left out). Values are not fetched: memory is the keys'.
    public func keys(matching pattern: String = ">") async throws -> [String] {
        try await latestEntries(matching: pattern, headersOnly: true).filter { $0.operation == .put }.map(\.key).sorted()
    }

    /// The latest entry of every key matching `pattern`, markers included, as a short watch's
    /// initial values; `headersOnly` leaves the values out (empty).
    public func latestEntries(matching pattern: String = ">", headersOnly: Bool = false) async throws -> [NATSKeyValueEntry] {
        let latest = NIOLockedValueBox<[String: NATSKeyValueEntry]>([:])
        let done = api.connection.eventLoop.makePromise(of: Void.self)
        // A promise must be completed before it goes (NIO traps on a leaked one in debug builds).
        defer { done.fail(NATSError.closed) }
        // A short idle heartbeat: it ends the initial values when a purge took the last of them.
        let watcher = try await watch(pattern, headersOnly: headersOnly, idleHeartbeat: .seconds(1)) { event in
            switch event {
            case .entry(let entry): latest.withLockedValue { $0[entry.key] = entry }
            case .initialValuesDone: done.succeed()
            }
        }
        let timeout = api.connection.eventLoop.scheduleTask(in: api.timeout * 5) { done.fail(NATSError.timeout) }
        defer { timeout.cancel() }
        do {
            try await done.futureResult.get()
        } catch {
            await watcher.stop()
            throw error
        }
        await watcher.stop()
        return Array(latest.withLockedValue { $0 }.values)
    }

    func watch(
        _ pattern: String, headersOnly: Bool, idleHeartbeat: TimeAmount = NATSKeyValueWatcher.idleHeartbeat,
        onEvent: @escaping @Sendable (NATSKeyValueWatcher.Event) -> Void
    ) async throws -> NATSKeyValueWatcher {
        guard NATSKeyValueError.isValidKey(pattern, pattern: true) else { throw NATSKeyValueError.invalidKey(pattern) }
        let watcher = NATSKeyValueWatcher(kv: self, filter: subjectPrefix + pattern, headersOnly: headersOnly,
                                          idleHeartbeat: idleHeartbeat, onEvent: onEvent)
        try await jetStream { try await watcher.start() }
        return watcher
    }

    private func validate(_ key: String) throws {
        guard NATSKeyValueError.isValidKey(key) else { throw NATSKeyValueError.invalidKey(key) }
    }

    /// Maps JetStream API errors not handled more precisely to `NATSKeyValueError.jetStream`.
    func jetStream<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as NATSJetStreamError {
            throw NATSKeyValueError.jetStream(error)
        }
    }
}
