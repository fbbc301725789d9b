/// Broker messages: PUBLISH, PUBLISHED, SUBSCRIBE, SUBSCRIBED, UNSUBSCRIBE, UNSUBSCRIBED, EVENT.

public struct Publish: Sendable {
    public var request: WampID
    public var options: JSONValue
    public var topic: String
    public var payload: Payload
    public init(request: WampID, options: JSONValue, topic: String, payload: Payload = .empty) {
        self.request = request; self.options = options; self.topic = topic; self.payload = payload
    }
}

public struct Published: Sendable {
    public var request: WampID
    public var publication: WampID
    public init(request: WampID, publication: WampID) { self.request = request; self.publication = publication }
}

public struct Subscribe: Sendable {
    public var request: WampID
    public var options: JSONValue
    public var topic: String
    public init(request: WampID, options: JSONValue, topic: String) {
        self.request = request; self.options = options; self.topic = topic
    }
}

public struct Subscribed: Sendable {
    public var request: WampID
    public var subscription: WampID
    public init(request: WampID, subscription: WampID) { self.request = request; self.subscription = subscription }
}

public struct Unsubscribe: Sendable {
    public var request: WampID
    public var subscription: WampID
    public init(request: WampID, subscription: WampID) { self.request = request; self.subscription = subscription }
}

/// `request` is 0 and `details` is set when the router revokes a subscription (Advanced Profile).
public struct Unsubscribed: Sendable {
    public var request: WampID
    public var details: JSONValue?
    public init(request: WampID, details: JSONValue? = nil) { self.request = request; self.details = details }
}

public struct Event: Sendable {
    public var subscription: WampID
    public var publication: WampID
    public var details: JSONValue
    public var payload: Payload
    public init(subscription: WampID, publication: WampID, details: JSONValue, payload: Payload = .empty) {
        self.subscription = subscription; self.publication = publication; self.details = details; self.payload = payload
    }
}
