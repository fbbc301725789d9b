import WampMessages

/// A stored event as it travels between the nodes of a cluster for `wamp.subscription.get_events`:
/// what `HistoryQuery` filters on (timestamp, topic, publication) with the details and the payload
/// as JSON, the form the history answer takes anyway.
struct HistoryItem {
    let event: StoredEvent

    init(_ event: StoredEvent) { self.event = event }

    var text: String {
        let object = JSONValue.makeObject()
        object.set("timestamp", string: event.timestamp)
        object.set("subscription", integer: Int64(event.subscription))
        object.set("publication", integer: Int64(event.publication))
        object.set("topic", string: event.topic)
        object.set("details", event.details)
        if let arguments = event.payload.arguments?.parsed() { object.set("args", arguments) }
        if let argumentsKw = event.payload.argumentsKw?.parsed() { object.set("kwargs", argumentsKw) }
        return object.jsonText
    }

    /// Nil for anything but an item `text` makes.
    init?(text: String) {
        guard let object = JSONValue.parse(text), object.isObject, let timestamp = object.string("timestamp"),
              let subscription = object.integer("subscription"), WampIDRange.contains(subscription),
              let publication = object.integer("publication"), WampIDRange.contains(publication),
              let topic = object.string("topic"), let details = object.value("details"), details.isObject else { return nil }
        let arguments = object.value("args")
        let argumentsKw = object.value("kwargs")
        guard arguments.map(\.isArray) ?? true, argumentsKw.map(\.isObject) ?? true else { return nil }
        event = StoredEvent(subscription: WampID(subscription), publication: WampID(publication), topic: topic, timestamp: timestamp,
                            details: details, payload: Payload(arguments: arguments.map { RawJSON($0) },
                                                               argumentsKw: argumentsKw.map { RawJSON($0) }))
    }
}
