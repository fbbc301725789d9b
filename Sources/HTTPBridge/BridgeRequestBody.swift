import NIOCore
import WampMessages

/// A bridge request's JSON body: `{"topic" | "procedure", "args", "kwargs", "options"}`, read with
/// jansson (the tree is freed with its `JSONValue`s). As in Crossbar, an absent, null or empty
/// `args`/`kwargs` sends none.
package struct BridgeRequestBody: Sendable {
    package let uri: String
    package let arguments: RawJSON?
    package let argumentsKw: RawJSON?
    /// Always an object (empty when the body has none); the bridge's own copy, free to change.
    package let options: JSONValue

    var payload: Payload { Payload(arguments: arguments, argumentsKw: argumentsKw) }

    /// `uriField`: `topic` or `procedure`.
    package static func parse(_ body: ByteBuffer, uriField: String) -> Swift.Result<BridgeRequestBody, BridgeRefusal> {
        guard let text = String(validating: body.readableBytesView, as: UTF8.self) else { return .failure(.notUTF8) }
        guard !text.isEmpty else { return .failure(.notJSON("the body is empty")) }
        guard let root = JSONValue.parse(text) else { return .failure(.notJSON("invalid JSON text")) }
        guard root.isObject else { return .failure(.notAnObject) }
        guard let uriValue = root.value(uriField), !uriValue.isNull else { return .failure(.missingField(uriField)) }
        guard let uri = uriValue.stringValue else { return .failure(.wrongFieldType(uriField, expected: "a string")) }
        var arguments: RawJSON?
        if let value = root.value("args"), !value.isNull {
            guard value.isArray else { return .failure(.wrongFieldType("args", expected: "a list")) }
            if value.count > 0 { arguments = RawJSON(value) }
        }
        var argumentsKw: RawJSON?
        if let value = root.value("kwargs"), !value.isNull {
            guard value.isObject else { return .failure(.wrongFieldType("kwargs", expected: "a dictionary")) }
            if value.count > 0 { argumentsKw = RawJSON(value) }
        }
        var options = JSONValue.makeObject()
        if let value = root.value("options"), !value.isNull {
            guard value.isObject else { return .failure(.wrongFieldType("options", expected: "a dictionary")) }
            // A copy of its own, so that the bridge's changes never touch the parsed tree.
            guard let copy = JSONValue.parse(value.jsonText) else { return .failure(.notJSON("options")) }
            options = copy
        }
        return .success(BridgeRequestBody(uri: uri, arguments: arguments, argumentsKw: argumentsKw, options: options))
    }
}
