/// Where a clustered realm's `wamp.session.count`, `list` and `get` reach the sessions of the
/// other router nodes (docs/cluster.md "Sessions and the meta API"). The `Cluster` module
/// implements it over NATS; without a cluster the realm has none and answers for its own
/// sessions, as a single router does.
public protocol SessionQueryCluster: AnyObject, Sendable {
    /// Asks every other live node (each answers with `Realm.answerSessionQuery`) and calls `done`
    /// once, on any thread and never under a routing lock, with each answering node's name and
    /// answer text and the names of the nodes that did not answer within the bound. Returns
    /// false, and never calls `done`, when too many queries are in flight already.
    func gather(_ query: SessionQuery,
                done: @escaping @Sendable (_ answers: [(node: String, answer: String)], _ silent: [String]) -> Void) -> Bool
}
