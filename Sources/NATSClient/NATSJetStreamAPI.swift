import Foundation
import NIOCore

/// An error answer of the JetStream API: `{"error":{"code":400,"err_code":10071,"description":"..."}}`.
/// `errorCode` is JetStream's own number (stable across releases), `code` the HTTP-like one.
public struct NATSJetStreamError: Error, Equatable, Sendable {
    public var code: Int
    public var errorCode: Int
    public var description: String

    /// "wrong last sequence": an expected-revision header did not match.
    public static let wrongLastSequence = 10071
    public static let streamNotFound = 10059
    /// "stream name already in use with a different configuration".
    public static let streamNameInUse = 10058
    public static let consumerNotFound = 10014
}

/// Requests to `$JS.API.…` and the decoding of their JSON answers, over a connection's request/reply.
struct NATSJetStreamAPI: Sendable {
    let connection: NATSConnection
    let timeout: TimeAmount

    /// Sends `body` (JSON) to `$JS.API.<subject>` and returns the answer's JSON object; an error
    /// answer throws `NATSJetStreamError`, a connection without JetStream `noResponders`.
    func call(_ subject: String, _ body: [String: Any]? = nil) async throws -> [String: Any] {
        var payload = ByteBuffer()
        if let body { payload.writeBytes(try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])) }
        let reply = try await connection.request("$JS.API." + subject, payload: payload, timeout: timeout)
        return try Self.decode(reply.payload)
    }

    /// Publishes to a stream's subject and returns the stored sequence (the PubAck's `seq`).
    func publish(_ subject: String, payload: ByteBuffer, headers: NATSHeaders?) async throws -> UInt64 {
        let reply = try await connection.request(subject, payload: payload, headers: headers, timeout: timeout)
        let ack = try Self.decode(reply.payload)
        guard let sequence = ack["seq"] as? NSNumber else { throw NATSKeyValueError.malformedResponse("PubAck without seq") }
        return sequence.uint64Value
    }

    static func decode(_ payload: ByteBuffer) throws -> [String: Any] {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(payload.readableBytesView))
        } catch {
            throw NATSKeyValueError.malformedResponse("not JSON")
        }
        guard let dictionary = object as? [String: Any] else { throw NATSKeyValueError.malformedResponse("not a JSON object") }
        if let error = dictionary["error"] as? [String: Any] {
            throw NATSJetStreamError(
                code: (error["code"] as? NSNumber)?.intValue ?? 0, errorCode: (error["err_code"] as? NSNumber)?.intValue ?? 0,
                description: error["description"] as? String ?? "")
        }
        return dictionary
    }
}
