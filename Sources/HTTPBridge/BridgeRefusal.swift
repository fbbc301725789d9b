import NIOHTTP1

/// Why the bridge answers a request itself, before (or instead of) anything reaching the realm.
/// Each has its HTTP status and an error URI for the JSON answer.
package enum BridgeRefusal: Error, Equatable {
    case methodNotAllowed(String)
    case bodyTooLarge(limit: Int)
    case notUTF8
    case notJSON(String)
    case notAnObject
    case missingField(String)
    case wrongFieldType(String, expected: String)
    case clientAddressNotAllowed(String)
    case tlsRequired
    case missingSignatureField(String)
    case malformedSignatureField(String, String)
    case unknownKey
    case badSignature
    case timestampOutOfWindow(limitSeconds: Int)
    case replayed
    case replayMemoryFull(Int)
    /// The router is shutting down: no new requests (`HTTPBridgeService.beginDrain()`), and
    /// what is still waiting when the drain ends.
    case shuttingDown

    package var status: HTTPResponseStatus {
        switch self {
        case .methodNotAllowed: .methodNotAllowed
        case .bodyTooLarge: .payloadTooLarge
        case .notUTF8, .notJSON, .notAnObject, .missingField, .wrongFieldType, .missingSignatureField, .malformedSignatureField: .badRequest
        case .clientAddressNotAllowed, .tlsRequired: .forbidden
        case .unknownKey, .badSignature, .timestampOutOfWindow, .replayed: .unauthorized
        case .replayMemoryFull, .shuttingDown: .serviceUnavailable
        }
    }

    var errorURI: String {
        switch self {
        case .methodNotAllowed: "router.error.method_not_allowed"
        case .bodyTooLarge: "router.error.payload_too_large"
        case .notUTF8, .notJSON, .notAnObject, .missingField, .wrongFieldType: "wamp.error.invalid_argument"
        case .clientAddressNotAllowed, .tlsRequired: "router.error.forbidden"
        case .missingSignatureField, .malformedSignatureField: "router.error.bad_signature_fields"
        case .unknownKey, .badSignature, .timestampOutOfWindow, .replayed: "router.error.invalid_signature"
        case .replayMemoryFull: "router.error.limit_exceeded"
        case .shuttingDown: "wamp.close.system_shutdown"
        }
    }

    var message: String {
        switch self {
        case .methodNotAllowed(let method): "method \(method) not allowed: use POST"
        case .bodyTooLarge(let limit): "request body over \(limit) bytes (post_body_limit)"
        case .notUTF8: "the request body is not UTF-8"
        case .notJSON(let why): "the request body is not JSON: \(why)"
        case .notAnObject: "the request body is not a JSON object"
        case .missingField(let field): "the request body has no '\(field)'"
        case .wrongFieldType(let field, let expected): "'\(field)' must be \(expected)"
        case .clientAddressNotAllowed(let address): "client address \(address) is not allowed (require_ip)"
        case .tlsRequired: "this path requires TLS (require_tls)"
        case .missingSignatureField(let field): "signed request required, but the query has no '\(field)'"
        case .malformedSignatureField(let field, let expected): "'\(field)' in the query must be \(expected)"
        case .unknownKey: "unknown key in signed request"
        case .badSignature: "invalid request signature"
        case .timestampOutOfWindow(let limit): "the request timestamp is more than \(limit) seconds away from the router's clock (timestamp_delta_limit)"
        case .replayed: "this signed request was already accepted once (replay)"
        case .replayMemoryFull(let limit): "too many signed requests within the timestamp window (\(limit), replay_memory_limit); try again later"
        case .shuttingDown: "the router is shutting down; try again later"
        }
    }
}
