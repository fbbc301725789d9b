import WampMessages

/// Why a client request failed: the router's (or callee's) ERROR, an ABORT, or a lost transport.
public enum WampClientError: Error, Sendable, CustomStringConvertible {
    /// ERROR from the router or a callee: its URI, Details and payload.
    case error(uri: String, details: JSONValue, payload: Payload)
    /// ABORT during joining or later.
    case aborted(reason: String, message: String?)
    /// The connection went away before an answer arrived (or is away: reconnecting, closed).
    case connectionClosed
    /// The router sent something this client could not understand.
    case unexpectedMessage(String)
    /// A payload has no lossless form in the client's serialization (e.g. binary in JSON is
    /// fine, but a map with non-string keys is not).
    case unencodable(String)

    public var uri: String? {
        switch self {
        case .error(let uri, _, _): uri
        case .aborted(let reason, _): reason
        default: nil
        }
    }

    public var description: String {
        switch self {
        case .error(let uri, let details, let payload):
            "ERROR \(uri) \(details.jsonText) \(payload.arguments?.description ?? "")"
        case .aborted(let reason, let message): "ABORT \(reason): \(message ?? "")"
        case .connectionClosed: "connection closed"
        case .unexpectedMessage(let text): "unexpected message: \(text)"
        case .unencodable(let reason): "payload not encodable: \(reason)"
        }
    }
}

/// What a callee's handler throws to answer an INVOCATION with ERROR instead of YIELD.
public struct WampInvocationError: Error, Sendable {
    public var uri: String
    public var payload: Payload
    public init(uri: String, payload: Payload = .empty) {
        self.uri = uri
        self.payload = payload
    }
}
