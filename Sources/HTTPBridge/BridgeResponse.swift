import NIOCore
import NIOHTTP1
import WampMessages
import WebSocketIO

/// The bridge's JSON answers: Crossbar's shapes (`{"id"}`, `{"args", "kwargs"}`,
/// `{"error", "args", "kwargs"}`), each error with a `message` as well, and an HTTP status that
/// says what happened (Crossbar answers 200 for WAMP errors; `curl -f` could not see them).
enum BridgeResponse {
    static func published(_ publication: WampID) -> HTTPServiceResponse {
        json(.ok, "{\"id\":\(publication)}")
    }

    static func result(_ payload: Payload) -> HTTPServiceResponse {
        let arguments = payload.arguments?.description ?? "[]"
        let kwargs = payload.argumentsKw?.description ?? "{}"
        return json(.ok, "{\"args\":\(arguments),\"kwargs\":\(kwargs)}")
    }

    static func refused(_ refusal: BridgeRefusal) -> HTTPServiceResponse {
        var response = error(refusal.status, uri: refusal.errorURI, message: refusal.message)
        if case .methodNotAllowed = refusal { response.headers.add(name: "Allow", value: "POST") }
        // A shutting-down router's HTTP listener closes soon: the client should retry elsewhere.
        if case .shuttingDown = refusal { response.headers.add(name: "Connection", value: "close") }
        return response
    }

    /// A WAMP ERROR as Crossbar passes it on, with `message`: the first positional argument if
    /// it is a string, else Details.message (the router's own errors carry it there).
    static func wampError(_ uri: String, payload: Payload, details: JSONValue?) -> HTTPServiceResponse {
        let parsedArguments = payload.arguments?.parsed()
        let message = parsedArguments?.element(0)?.stringValue ?? details?.string("message")
        let arguments = payload.arguments?.description ?? message.map { "[\(jsonString($0))]" } ?? "[]"
        let kwargs = payload.argumentsKw?.description ?? "{}"
        var body = "{\"error\":\(jsonString(uri)),\"args\":\(arguments),\"kwargs\":\(kwargs)"
        if let message { body += ",\"message\":\(jsonString(message))" }
        return json(status(forErrorURI: uri), body + "}")
    }

    /// An error the bridge itself states.
    static func error(_ status: HTTPResponseStatus, uri: String, message: String) -> HTTPServiceResponse {
        json(status, "{\"error\":\(jsonString(uri)),\"message\":\(jsonString(message)),\"args\":[\(jsonString(message))],\"kwargs\":{}}")
    }

    /// The status of a WAMP error answer.
    static func status(forErrorURI uri: String) -> HTTPResponseStatus {
        switch uri {
        case "wamp.error.no_such_procedure": .notFound
        case "wamp.error.not_authorized", "wamp.error.authorization_failed": .forbidden
        case "wamp.error.timeout": .gatewayTimeout
        case "wamp.error.invalid_uri", "wamp.error.invalid_argument", "wamp.error.protocol_violation",
             "wamp.error.payload_size_exceeded", "wamp.error.option_not_allowed", "wamp.error.feature_not_supported":
            .badRequest
        case "router.error.limit_exceeded": .serviceUnavailable
        default: .badGateway
        }
    }

    static func json(_ status: HTTPResponseStatus, _ body: String) -> HTTPServiceResponse {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
        headers.add(name: "Cache-Control", value: "no-store")
        return HTTPServiceResponse(status: status, headers: headers, body: ByteBuffer(string: body))
    }

    /// `text` as a JSON string literal.
    static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
