/// Dealer messages: CALL, CANCEL, RESULT, REGISTER, REGISTERED, UNREGISTER, UNREGISTERED,
/// INVOCATION, INTERRUPT, YIELD.

public struct Call: Sendable {
    public var request: WampID
    public var options: JSONValue
    public var procedure: String
    public var payload: Payload
    public init(request: WampID, options: JSONValue, procedure: String, payload: Payload = .empty) {
        self.request = request; self.options = options; self.procedure = procedure; self.payload = payload
    }
}

public struct Cancel: Sendable {
    public var request: WampID
    public var options: JSONValue
    public init(request: WampID, options: JSONValue) { self.request = request; self.options = options }
}

public struct Result: Sendable {
    public var request: WampID
    public var details: JSONValue
    public var payload: Payload
    public init(request: WampID, details: JSONValue, payload: Payload = .empty) {
        self.request = request; self.details = details; self.payload = payload
    }
}

public struct Register: Sendable {
    public var request: WampID
    public var options: JSONValue
    public var procedure: String
    public init(request: WampID, options: JSONValue, procedure: String) {
        self.request = request; self.options = options; self.procedure = procedure
    }
}

public struct Registered: Sendable {
    public var request: WampID
    public var registration: WampID
    public init(request: WampID, registration: WampID) { self.request = request; self.registration = registration }
}

public struct Unregister: Sendable {
    public var request: WampID
    public var registration: WampID
    public init(request: WampID, registration: WampID) { self.request = request; self.registration = registration }
}

/// `request` is 0 and `details` is set when the router revokes a registration (Advanced Profile).
public struct Unregistered: Sendable {
    public var request: WampID
    public var details: JSONValue?
    public init(request: WampID, details: JSONValue? = nil) { self.request = request; self.details = details }
}

public struct Invocation: Sendable {
    public var request: WampID
    public var registration: WampID
    public var details: JSONValue
    public var payload: Payload
    public init(request: WampID, registration: WampID, details: JSONValue, payload: Payload = .empty) {
        self.request = request; self.registration = registration; self.details = details; self.payload = payload
    }
}

public struct Interrupt: Sendable {
    public var request: WampID
    public var options: JSONValue
    public init(request: WampID, options: JSONValue) { self.request = request; self.options = options }
}

public struct Yield: Sendable {
    public var request: WampID
    public var options: JSONValue
    public var payload: Payload
    public init(request: WampID, options: JSONValue, payload: Payload = .empty) {
        self.request = request; self.options = options; self.payload = payload
    }
}
