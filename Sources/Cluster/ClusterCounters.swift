import Synchronization

/// What the cluster part of a node counts, for `/metrics` (`wamp_cluster_*`) and the logs.
/// Relaxed atomics: written on the hot path of clustered nodes only.
public final class ClusterCounters: Sendable {
    /// Publications handed to NATS for the other nodes.
    public let publicationsShared = Atomic<Int>(0)
    /// Publications delivered on this node only: NATS was unreachable or refused the message.
    public let publicationsUnshared = Atomic<Int>(0)
    /// Publications from other nodes delivered to one of this node's subscriptions.
    public let eventsReceived = Atomic<Int>(0)
    /// Retained publications from other nodes stored here (`wamp.<realm>.rt`).
    public let retainedReceived = Atomic<Int>(0)
    /// Retained events taken from another node's snapshot (at start and after a reconnect) for
    /// topics this node had none for.
    public let retainedFilled = Atomic<Int>(0)
    /// Publications a prefix subscription's wider NATS subscription brought that its string
    /// prefix does not match (the cost of prefix subscriptions across nodes).
    public let prefixFiltered = Atomic<Int>(0)
    /// NATS messages on an event subject that did not decode (dropped).
    public let malformedEvents = Atomic<Int>(0)
    /// Session meta queries answered without some live node (named in the answer's `partial`).
    public let metaQueriesPartial = Atomic<Int>(0)
    /// Nodes declared dead (heartbeats missing for the node timeout).
    public let nodesLost = Atomic<Int>(0)
    /// Testaments of a lost node's sessions this node published (it was the lowest live slot).
    public let testamentsFired = Atomic<Int>(0)
    /// Times a session's testament list became unreplicated: a write NATS did not take (retried
    /// every second until one succeeds; the testaments fire meanwhile only if the session leaves).
    public let testamentsUnreplicated = Atomic<Int>(0)
    /// Stored testament lists that did not decode (removed unpublished).
    public let malformedTestaments = Atomic<Int>(0)
    /// Delete markers this node's sweeps removed from the directory buckets (it had the lowest
    /// live slot; `ClusterKeyValueSweeper`).
    public let deleteMarkersRemoved = Atomic<Int>(0)
    /// Sessions of lost nodes whose `on_leave` this node published (it was the lowest live slot).
    public let lostSessionsLeft = Atomic<Int>(0)
    /// Other nodes' sessions this node did not track, its roster being full: they get no
    /// `on_leave` from here if their node dies.
    public let sessionsUntracked = Atomic<Int>(0)
    /// Times this node lost its slot and claimed one again.
    public let slotReclaims = Atomic<Int>(0)

    public init() {}
}
