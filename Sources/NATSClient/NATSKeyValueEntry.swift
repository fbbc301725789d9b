import NIOCore

/// What a key-value bucket is made of: a stream `KV_<bucket>` over `$KV.<bucket>.>`.
///
/// On nats-server 2.9 expiry is per bucket only (`maxAge`, the stream's max_age): there is no
/// per-key TTL. `history` is how many values per key the stream keeps (max_msgs_per_subject).
public struct NATSKeyValueConfiguration: Sendable, Equatable {
    public enum Storage: String, Sendable { case file, memory }

    public var bucket: String
    public var history: Int = 1
    /// nil: values never expire.
    public var maxAge: TimeAmount?
    /// nil: up to the server's max_payload.
    public var maxValueSize: Int?
    public var storage: Storage = .file
    public var replicas: Int = 1

    public init(bucket: String) { self.bucket = bucket }
}

/// A key's entry: its latest value (or a delete/purge marker) and the stream sequence that
/// stored it, which is the revision `update` expects.
public struct NATSKeyValueEntry: Sendable, Equatable {
    public enum Operation: String, Sendable { case put = "PUT", delete = "DEL", purge = "PURGE" }

    public var key: String
    public var value: ByteBuffer
    public var revision: UInt64
    public var operation: Operation
    /// When the server stored it, in nanoseconds since 1970 by the server's clock; known for
    /// entries a watch delivers (nil from `get`). What a sweep of old delete markers goes by.
    public var created: UInt64?

    public init(key: String, value: ByteBuffer, revision: UInt64, operation: Operation, created: UInt64? = nil) {
        self.key = key
        self.value = value
        self.revision = revision
        self.operation = operation
        self.created = created
    }

    static func operation(of headers: NATSHeaders?) -> Operation {
        headers?["KV-Operation"].flatMap(Operation.init(rawValue:)) ?? .put
    }
}

public enum NATSKeyValueError: Error, Equatable, Sendable {
    /// `create` of a key that has a value.
    case keyExists(String)
    /// `update` with a revision that is not the key's latest.
    case wrongRevision(String)
    /// Bucket names are `[A-Za-z0-9_-]+`.
    case invalidBucket(String)
    /// Keys are `[-/_=.A-Za-z0-9]+`, no empty dot-separated tokens (watch patterns may use `*`, `>`).
    case invalidKey(String)
    case malformedResponse(String)
    /// Any other JetStream API error.
    case jetStream(NATSJetStreamError)

    static func isValidBucket(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }

    static func isValidKey(_ key: String, pattern: Bool = false) -> Bool {
        guard NATSSubject.isValidSubscribeSubject(key), !key.hasPrefix(".") else { return false }
        let extra: Set<UInt8> = Set("-/_=.".utf8).union(pattern ? Set("*>".utf8) : [])
        return key.utf8.allSatisfy { isAlphanumeric($0) || extra.contains($0) }
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
    }
}
