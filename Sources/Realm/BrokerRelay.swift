import WampMessages

/// Where a realm's broker shares publications with other router nodes (the cluster, issue 12;
/// docs/cluster.md "Pub/sub"). `Realm` knows nothing of how: the `Cluster` module implements it
/// over NATS. A router without a cluster has no relay, and its broker pays one nil check per
/// PUBLISH and SUBSCRIBE.
///
/// The broker calls it outside every routing lock (through the membership order's outbox for
/// `created`/`deleted`, so they arrive in the order the subscriptions changed).
public protocol BrokerRelay: AnyObject, Sendable {
    /// Makes sure other nodes' publications to (topic, match) reach this node and learns the
    /// cluster's subscription for it, then calls `ready` (on any thread) with it once that interest
    /// is established (the very next PUBLISH elsewhere reaches it), or with the error the SUBSCRIBE
    /// gets (the cluster is unreachable, a bound). Each call holds the interest until
    /// `release(topic:match:session:)`, so a subscription being made cannot lose it to one being
    /// deleted.
    func prepare(topic: String, match: MatchPolicy, ready: @escaping @Sendable (RelayReadiness) -> Void)
    /// Ends the hold one `prepare` took; `session` is the one that subscribed (named by
    /// `on_delete` if this ends the cluster's subscription).
    func release(topic: String, match: MatchPolicy, session: WampID)
    /// The broker has a subscription for (topic, match) now: it holds the interest until `deleted`.
    func created(topic: String, match: MatchPolicy)
    /// The broker's subscription for (topic, match) is gone (`session` was its last subscriber).
    /// The relay fires `on_delete` (through `Broker.publishSubscriptionDeleted`) if that ends the
    /// cluster's subscription.
    func deleted(topic: String, match: MatchPolicy, session: WampID)
    /// The cluster's subscriptions as this node knows them (all nodes', for the meta API);
    /// answered from memory, no round trip.
    func clusterSubscriptions() -> [ClusterSubscriptionEntry]
    /// One of them by ID, or by (topic, match); nil when this node knows none.
    func clusterSubscription(id: WampID) -> ClusterSubscriptionEntry?
    func clusterSubscription(topic: String, match: MatchPolicy) -> ClusterSubscriptionEntry?
    /// Shares a publication this node's broker has delivered locally. With `done`, the relay calls
    /// it once the publication is handed to the cluster (nil) or with why it could not be; for a
    /// retained publication, once every live node has stored it.
    func publish(_ publication: RelayedPublication, done: (@Sendable (String?) -> Void)?)
}

/// What `BrokerRelay.prepare` answers.
public enum RelayReadiness: Sendable, Equatable {
    case ready(RelayedSubscription)
    /// The SUBSCRIBE gets ERROR `uri` with `message`.
    case refused(uri: String, message: String)
}

/// The cluster's subscription of one (topic, match): the same ID and creation time on every node.
public struct RelayedSubscription: Sendable, Equatable {
    public var id: WampID
    /// ISO 8601 UTC with milliseconds, as the meta API's `created`.
    public var created: String
    /// This node made it for the cluster: the broker fires `on_create` (once for the cluster).
    public var isNew: Bool

    public init(id: WampID, created: String, isNew: Bool) {
        self.id = id
        self.created = created
        self.isNew = isNew
    }
}

/// A subscription of some node of the cluster, as the meta API describes it (`wamp.subscription.get`
/// without the subscribers, which are each node's own).
public struct ClusterSubscriptionEntry: Sendable, Equatable {
    public var id: WampID
    public var topic: String
    public var match: MatchPolicy
    public var created: String

    public init(id: WampID, topic: String, match: MatchPolicy, created: String) {
        self.id = id
        self.topic = topic
        self.match = match
        self.created = created
    }
}

/// A publication as it travels between nodes: what the receiving node's broker needs to apply
/// the publisher's options to its own subscribers, with the payload as the publisher sent it.
public struct RelayedPublication: Sendable {
    public var publication: WampID
    public var topic: String
    public var payload: Payload
    /// The publisher's session ID (cluster-unique), for `exclude_me`.
    public var publisher: WampID
    public var excludeMe: Bool
    /// Publisher disclosure (`disclose_me` or the publisher's permission).
    public var disclosed: Bool
    public var disclosedAuthid: String?
    public var disclosedAuthrole: String?
    public var passthru: [(key: String, value: String)]
    /// The black- and whitelists; nil when the publication has none.
    public var filter: PublicationFilter?
    /// The publisher asked to retain it: every node stores it as the topic's retained event.
    public var retain: Bool

    public init(publication: WampID, topic: String, payload: Payload, publisher: WampID, excludeMe: Bool = true,
                disclosed: Bool = false, disclosedAuthid: String? = nil, disclosedAuthrole: String? = nil,
                passthru: [(key: String, value: String)] = [], filter: PublicationFilter? = nil, retain: Bool = false) {
        self.publication = publication
        self.topic = topic
        self.payload = payload
        self.publisher = publisher
        self.excludeMe = excludeMe
        self.disclosed = disclosed
        self.disclosedAuthid = disclosedAuthid
        self.disclosedAuthrole = disclosedAuthrole
        self.passthru = passthru
        self.filter = filter
        self.retain = retain
    }

    init(publication: WampID, topic: String, payload: Payload, publisher: WampID, options: PublicationOptions) {
        self.init(publication: publication, topic: topic, payload: payload, publisher: publisher, excludeMe: options.excludeMe,
                  disclosed: options.details.publisher != nil, disclosedAuthid: options.details.publisherAuthid,
                  disclosedAuthrole: options.details.publisherAuthrole, passthru: options.details.passthru,
                  filter: options.filter, retain: options.retain)
    }

    /// A stored retained event as it travels to a node that asks for a snapshot.
    init(retained record: EventRecord) {
        self.init(publication: record.publication, topic: record.topic, payload: record.payload, publisher: record.publisher ?? 0,
                  excludeMe: record.excludeMe, disclosed: record.details.publisher != nil,
                  disclosedAuthid: record.details.publisherAuthid, disclosedAuthrole: record.details.publisherAuthrole,
                  passthru: record.details.passthru, filter: record.filter, retain: true)
    }

    var details: EventDetails {
        var details = EventDetails()
        if disclosed {
            details.publisher = publisher
            details.publisherAuthid = disclosedAuthid
            details.publisherAuthrole = disclosedAuthrole
        }
        details.passthru = passthru
        return details
    }
}
