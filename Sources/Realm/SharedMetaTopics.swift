/// The router's own meta event topics, which a cluster shares between its nodes (docs/cluster.md
/// "Sessions and the meta API"). The node where an event happens publishes it, locally and to
/// the other nodes; a subscription that can receive one of these topics listens to every node.
/// No peer may publish under `wamp.`, so only routers ever publish on these topics; every other
/// `wamp.*` subscription stays on its node.
enum SharedMetaTopics {
    static let all: [String] = [
        "wamp.session.on_join", "wamp.session.on_leave",
        "wamp.registration.on_create", "wamp.registration.on_register",
        "wamp.registration.on_unregister", "wamp.registration.on_delete",
        Broker.MetaTopic.onCreate, Broker.MetaTopic.onSubscribe, Broker.MetaTopic.onUnsubscribe, Broker.MetaTopic.onDelete,
    ]
    private static let exact = Set(all)

    static func contains(_ topic: String) -> Bool { exact.contains(topic) }

    /// Whether a subscription to `topic` under `match` receives at least one of these topics.
    static func reached(by topic: String, match: MatchPolicy) -> Bool {
        switch match {
        case .exact: exact.contains(topic)
        case .prefix: all.contains { $0.hasPrefix(topic) }
        case .wildcard: all.contains { matches($0, wildcard: topic) }
        }
    }

    /// WAMP wildcard matching: as many components, each empty pattern component matches any.
    private static func matches(_ topic: String, wildcard pattern: String) -> Bool {
        let components = topic.split(separator: ".", omittingEmptySubsequences: false)
        let patterns = pattern.split(separator: ".", omittingEmptySubsequences: false)
        guard components.count == patterns.count else { return false }
        return zip(components, patterns).allSatisfy { $1.isEmpty || $0 == $1 }
    }
}
