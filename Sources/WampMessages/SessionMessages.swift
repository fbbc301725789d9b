/// Messages that open and close a session: HELLO, WELCOME, ABORT, CHALLENGE, AUTHENTICATE, GOODBYE.

public struct Hello: Sendable {
    public var realm: String
    public var details: JSONValue
    public init(realm: String, details: JSONValue) { self.realm = realm; self.details = details }
}

public struct Welcome: Sendable {
    public var session: WampID
    public var details: JSONValue
    public init(session: WampID, details: JSONValue) { self.session = session; self.details = details }
}

public struct Abort: Sendable {
    public var details: JSONValue
    public var reason: String
    public init(details: JSONValue, reason: String) { self.details = details; self.reason = reason }

    /// ABORT with the readable `message` in Details that every router-made ABORT carries.
    public init(reason: String, message: String) {
        let details = JSONValue.makeObject()
        details.set("message", string: message)
        self.init(details: details, reason: reason)
    }
}

public struct Challenge: Sendable {
    public var authMethod: String
    public var extra: JSONValue
    public init(authMethod: String, extra: JSONValue) { self.authMethod = authMethod; self.extra = extra }
}

public struct Authenticate: Sendable {
    public var signature: String
    public var extra: JSONValue
    public init(signature: String, extra: JSONValue) { self.signature = signature; self.extra = extra }
}

public struct Goodbye: Sendable {
    public var details: JSONValue
    public var reason: String
    public init(details: JSONValue, reason: String) { self.details = details; self.reason = reason }
}
