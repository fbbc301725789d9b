import Foundation
import NIOCore
import Realm
import WampMessages

/// One WAMP subscription in the `wamp_subscriptions` bucket (key `sub.<realm>.<topic>.<match>`,
/// realm and topic hex-encoded as registrations are): the cluster-wide ID that every node's
/// broker uses for (topic, match), and the slots of the nodes that have local subscribers. JSON,
/// so an operator can read it with `nats kv get`.
struct SubscriptionRecord: KeyValueJSONRecord, Equatable, Sendable {
    var id: UInt64
    var topic: String
    var match: String
    /// When the key was created (the meta API's `created`), ISO 8601 UTC with milliseconds.
    var created: String
    /// Slots of the nodes holding subscribers, in the order they joined.
    var slots: [Int]

    static let bucket = "wamp_subscriptions"

    static func key(realm: String, topic: String, match: MatchPolicy) -> String {
        "sub.\(RegistrationRecord.hex(realm)).\(RegistrationRecord.hex(topic)).\(match.rawValue)"
    }

    static func keyPrefix(realm: String) -> String { "sub.\(RegistrationRecord.hex(realm))." }

    /// nil for bytes that are not a record (a hostile or broken writer): treated as no record.
    static func decode(_ buffer: ByteBuffer) -> SubscriptionRecord? {
        guard let record = decodedJSON(buffer),
              MatchPolicy(rawValue: record.match) != nil, record.id >= 1, record.id <= WampIDRange.max,
              record.slots.allSatisfy({ (1...1023).contains($0) })
        else { return nil }
        return record
    }
}
