import Foundation
import NIOCore

/// What a bucket's stream holds, from `STREAM.INFO`.
public struct NATSKeyValueStatus: Sendable, Equatable {
    /// Messages stored: every key's latest entry (delete and purge markers included) plus the
    /// history the bucket keeps.
    public var storedEntries: UInt64
    /// The newest revision in the bucket (the stream's last sequence); 0 for an empty one.
    public var lastRevision: UInt64
}

/// Keeping a bucket from growing with keys that are gone. A delete marker is the last entry of
/// its key until something removes it: JetStream keeps it for good (unless `max_age` is set), so
/// a bucket whose keys come and go (one per topic, procedure, session) grows without a bound.
/// These let one client find old markers and remove them.
extension NATSKeyValue {
    /// Binds to the bucket's stream if it exists; nil when it does not (nothing is created).
    public static func bind(
        bucket: String, on connection: NATSConnection, timeout: TimeAmount = .seconds(2)
    ) async throws -> NATSKeyValue? {
        guard NATSKeyValueError.isValidBucket(bucket) else { throw NATSKeyValueError.invalidBucket(bucket) }
        let kv = NATSKeyValue(bucket: bucket, api: NATSJetStreamAPI(connection: connection, timeout: timeout))
        do {
            _ = try await kv.api.call("STREAM.INFO." + kv.streamName)
        } catch let error as NATSJetStreamError where error.errorCode == NATSJetStreamError.streamNotFound {
            return nil
        } catch let error as NATSJetStreamError {
            throw NATSKeyValueError.jetStream(error)
        }
        return kv
    }

    public func status() async throws -> NATSKeyValueStatus {
        let info = try await jetStream { try await api.call("STREAM.INFO." + streamName) }
        guard let state = info["state"] as? [String: Any] else { throw NATSKeyValueError.malformedResponse("stream info without state") }
        return NATSKeyValueStatus(
            storedEntries: (state["messages"] as? NSNumber)?.uint64Value ?? 0,
            lastRevision: (state["last_seq"] as? NSNumber)?.uint64Value ?? 0)
    }

    /// The keys matching `pattern` whose latest entry is a delete or purge marker, with its
    /// revision and time (values are not fetched), oldest first.
    public func markers(matching pattern: String = ">") async throws -> [NATSKeyValueEntry] {
        try await latestEntries(matching: pattern, headersOnly: true).filter { $0.operation != .put }.sorted { $0.revision < $1.revision }
    }

    /// Removes the key's entries up to and including `revision` (its marker) from the stream; an
    /// entry written after it stays, so a key created again meanwhile keeps its value. Returns
    /// how many entries went. A key whose marker is gone reads as never written: `get` is nil,
    /// `create` succeeds, a new watch does not deliver it.
    @discardableResult
    public func removeMarker(_ key: String, revision: UInt64) async throws -> UInt64 {
        guard NATSKeyValueError.isValidKey(key) else { throw NATSKeyValueError.invalidKey(key) }
        // `seq` purges below it; with `filter`, on that one subject only.
        let answer = try await jetStream {
            try await api.call("STREAM.PURGE." + streamName, ["filter": subjectPrefix + key, "seq": revision + 1])
        }
        return (answer["purged"] as? NSNumber)?.uint64Value ?? 0
    }
}
