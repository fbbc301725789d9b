import Foundation
import NIOCore

/// A record the cluster keeps in a JetStream key-value bucket as JSON, so an operator can read it
/// with `nats kv get` (registrations, subscriptions).
protocol KeyValueJSONRecord: Codable {}

extension KeyValueJSONRecord {
    func encoded() -> ByteBuffer {
        // The records hold plain strings and integers: encoding them cannot fail.
        ByteBuffer(bytes: (try? JSONEncoder().encode(self)) ?? Data())
    }

    /// The record in `buffer`, nil for bytes that are not JSON of its shape (each record's
    /// `decode` then checks its values).
    static func decodedJSON(_ buffer: ByteBuffer) -> Self? {
        try? JSONDecoder().decode(Self.self, from: Data(buffer.readableBytesView))
    }
}
