import Foundation
import NIOCore
import Realm
import WampMessages

/// One registration in the `wamp_registrations` bucket (key `reg.<realm>.<procedure>.<match>`,
/// realm and procedure hex-encoded so any URI is one key token): its cluster-wide ID, policies
/// and callees in registration order. JSON, so an operator can read it with `nats kv get`.
struct RegistrationRecord: KeyValueJSONRecord, Equatable, Sendable {
    struct Callee: Codable, Equatable, Sendable {
        /// The node's slot.
        var slot: Int
        var session: UInt64
        /// `PeerFeatures.rawValue` as announced in the callee's HELLO.
        var features: UInt32
        /// `WampSerialization.rawValue` of the callee's transport: results travel back in it.
        var serialization: UInt8
        /// The callee transport's announced maximum message size.
        var maxMessageSize: Int
    }

    var id: UInt64
    var procedure: String
    var match: String
    var invoke: String
    var discloseCaller: Bool
    var created: String
    var callees: [Callee]

    static let bucket = "wamp_registrations"

    static func key(realm: String, procedure: String, match: MatchPolicy) -> String {
        "reg.\(hex(realm)).\(hex(procedure)).\(match.rawValue)"
    }

    static func keyPattern(realm: String) -> String { "reg.\(hex(realm)).>" }

    /// Lower-case hex of the UTF-8 bytes: reversible, and always a valid key and subject token.
    static func hex(_ text: String) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count * 2)
        for byte in text.utf8 {
            bytes.append(digits[Int(byte >> 4)])
            bytes.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// nil for bytes that are not a record (a hostile or broken writer): the key is ignored.
    static func decode(_ buffer: ByteBuffer) -> RegistrationRecord? {
        guard let record = decodedJSON(buffer),
              MatchPolicy(rawValue: record.match) != nil, InvokePolicy(rawValue: record.invoke) != nil,
              record.id >= 1, record.id <= WampIDRange.max,
              record.callees.allSatisfy({ (1...1023).contains($0.slot) && WampSerialization(rawValue: $0.serialization) != nil })
        else { return nil }
        return record
    }
}
