/// ERROR: the failure answer to a request, sent by the router to a caller or subscriber, or by a
/// callee to the router for an INVOCATION.
public struct ErrorMessage: Sendable {
    public var requestType: MessageCode
    public var request: WampID
    public var details: JSONValue
    public var error: String
    public var payload: Payload

    public init(requestType: MessageCode, request: WampID, details: JSONValue, error: String, payload: Payload = .empty) {
        self.requestType = requestType; self.request = request; self.details = details; self.error = error; self.payload = payload
    }

    /// The router's own errors carry a readable `message` in Details.
    public init(requestType: MessageCode, request: WampID, error: String, message: String) {
        let details = JSONValue.makeObject()
        details.set("message", string: message)
        self.init(requestType: requestType, request: request, details: details, error: error)
    }
}
