import WampMessages

/// The filters of `wamp.subscription.get_events` (spec "Event History"), applied to the stored
/// events of one subscription, already in traversal order. All filters combine with AND; `limit`
/// cuts last.
struct HistoryQuery {
    var limit: Int?
    var fromTime: String?
    var afterTime: String?
    var beforeTime: String?
    var untilTime: String?
    var topic: String?
    var fromPublication: WampID?
    var afterPublication: WampID?
    var beforePublication: WampID?
    var untilPublication: WampID?

    init(_ kwargs: JSONValue) throws(MetaProcedures.Failure) {
        if let value = kwargs.value("limit") {
            guard let limit = value.integerValue, limit > 0 else { throw .argument("limit must be a positive integer") }
            self.limit = Int(limit)
        }
        fromTime = try Self.time(kwargs, "from_time")
        afterTime = try Self.time(kwargs, "after_time")
        beforeTime = try Self.time(kwargs, "before_time")
        untilTime = try Self.time(kwargs, "until_time")
        topic = kwargs.string("topic")
        fromPublication = try Self.publication(kwargs, "from_publication")
        afterPublication = try Self.publication(kwargs, "after_publication")
        beforePublication = try Self.publication(kwargs, "before_publication")
        untilPublication = try Self.publication(kwargs, "until_publication")
    }

    /// The `Event` list as JSON text.
    func apply(to events: [StoredEvent]) -> String {
        var selected = events.filter { event in
            if let fromTime, event.timestamp < fromTime { return false }
            if let afterTime, event.timestamp <= afterTime { return false }
            if let beforeTime, event.timestamp >= beforeTime { return false }
            if let untilTime, event.timestamp > untilTime { return false }
            if let topic, event.topic != topic { return false }
            return true
        }
        // Publication bounds are positions in traversal order: publication IDs are random.
        if let id = fromPublication, let index = selected.firstIndex(where: { $0.publication == id }) {
            selected = Array(selected[index...])
        }
        if let id = afterPublication, let index = selected.firstIndex(where: { $0.publication == id }) {
            selected = Array(selected[(index + 1)...])
        }
        if let id = beforePublication, let index = selected.firstIndex(where: { $0.publication == id }) {
            selected = Array(selected[..<index])
        }
        if let id = untilPublication, let index = selected.firstIndex(where: { $0.publication == id }) {
            selected = Array(selected[...index])
        }
        if let limit { selected = Array(selected.prefix(limit)) }
        let items = selected.map { event -> String in
            var item = "{\"timestamp\":\"\(event.timestamp)\",\"subscription\":\(event.subscription),"
                + "\"publication\":\(event.publication),\"details\":\(event.details.jsonText)"
            if let arguments = event.payload.arguments { item += ",\"args\":\(arguments)" }
            if let argumentsKw = event.payload.argumentsKw { item += ",\"kwargs\":\(argumentsKw)" }
            return item + "}"
        }
        return "[" + items.joined(separator: ",") + "]"
    }

    /// RFC 3339 UTC timestamps compare as text once they have the stored shape
    /// (`YYYY-MM-DDThh:mm:ss.sssZ`): a missing fraction becomes `.000`, `+00:00` becomes `Z`.
    private static func time(_ kwargs: JSONValue, _ key: String) throws(MetaProcedures.Failure) -> String? {
        guard let value = kwargs.value(key) else { return nil }
        guard var text = value.stringValue, text.count >= 20 else { throw .argument("\(key) must be an RFC 3339 timestamp") }
        if text.hasSuffix("+00:00") { text = String(text.dropLast(6)) + "Z" }
        guard text.hasSuffix("Z") else { throw .argument("\(key) must be a UTC timestamp (Z or +00:00)") }
        if !text.contains(".") { text = String(text.dropLast()) + ".000Z" }
        return text
    }

    private static func publication(_ kwargs: JSONValue, _ key: String) throws(MetaProcedures.Failure) -> WampID? {
        guard let value = kwargs.value(key) else { return nil }
        guard let id = value.integerValue, WampIDRange.contains(id) else { throw .argument("\(key) must be a publication ID") }
        return WampID(id)
    }
}
