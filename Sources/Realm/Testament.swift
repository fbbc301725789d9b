import WampMessages

/// An event a session asked the router to publish when it goes (`wamp.session.add_testament`).
public struct Testament: Sendable {
    public enum Scope: String, Sendable { case detached, destroyed }

    public let topic: String
    public let payload: Payload
    public let publishOptions: JSONValue

    public init(topic: String, payload: Payload, publishOptions: JSONValue) {
        self.topic = topic
        self.payload = payload
        self.publishOptions = publishOptions
    }
}
