import Cluster
import RouterMetrics

/// `/metrics`: the cluster node's part (`wamp_cluster_*`), present only with `--cluster-nats`.
extension WampRouter {
    static func collectCluster(_ context: RouterContext, into scrape: inout MetricsScrape) {
        guard let node = context.cluster else { return }
        let counters = node.counters
        scrape.gauge("wamp_cluster_connected", "1 while this node's NATS connection is up, 0 while it is down.", [],
                     node.isConnected ? 1 : 0)
        scrape.gauge("wamp_cluster_slot", "This node's cluster slot (1...1023; the top 10 bits of its IDs).", [], node.slot)
        scrape.gauge("wamp_cluster_live_nodes", "Other nodes whose heartbeats this node hears.", [], node.liveSlots().count)
        scrape.counter("wamp_cluster_publications_shared_total", "Publications handed to NATS for the other nodes.", [],
                       counters.publicationsShared.load(ordering: .relaxed))
        scrape.counter("wamp_cluster_publications_unshared_total",
                       "Publications delivered on this node only: NATS unreachable or the message over its max_payload.", [],
                       counters.publicationsUnshared.load(ordering: .relaxed))
        scrape.counter("wamp_cluster_events_received_total", "Publications from other nodes delivered to a subscription of this node.", [],
                       counters.eventsReceived.load(ordering: .relaxed))
        scrape.counter("wamp_cluster_retained_received_total", "Retained publications from other nodes stored on this node.", [],
                       counters.retainedReceived.load(ordering: .relaxed))
        scrape.counter("wamp_cluster_retained_filled_total",
                       "Retained events taken from another node's snapshot (at start or after a reconnect) for topics this node had none for.", [],
                       counters.retainedFilled.load(ordering: .relaxed))
        scrape.counter("wamp_cluster_prefix_filtered_total",
                       "Publications a prefix subscription's wider NATS subscription brought that its prefix does not match.", [],
                       counters.prefixFiltered.load(ordering: .relaxed))
        scrape.counter("wamp_cluster_malformed_events_total", "NATS messages on an event subject that did not decode (dropped).", [],
                       counters.malformedEvents.load(ordering: .relaxed))
        scrape.counter("wamp_cluster_meta_queries_partial_total",
                       "Session meta queries answered without some live node, which the answer names in 'partial'.", [],
                       counters.metaQueriesPartial.load(ordering: .relaxed))
        scrape.counter("wamp_cluster_testaments_fired_total",
                       "Testaments of a lost node's sessions this node published (as the lowest live slot).", [],
                       counters.testamentsFired.load(ordering: .relaxed))
        scrape.counter("wamp_cluster_testaments_unreplicated_total",
                       "Times a session's testament list became unreplicated (a write NATS did not take; retried every second).", [],
                       counters.testamentsUnreplicated.load(ordering: .relaxed))
        scrape.counter("wamp_cluster_lost_sessions_left_total",
                       "Sessions of lost nodes whose wamp.session.on_leave this node published (as the lowest live slot).", [],
                       counters.lostSessionsLeft.load(ordering: .relaxed))
        scrape.counter("wamp_cluster_sessions_untracked_total",
                       "Other nodes' sessions this node did not track (its roster was full); they get no on_leave from here if their node dies.", [],
                       counters.sessionsUntracked.load(ordering: .relaxed))
        scrape.counter("wamp_cluster_delete_markers_removed_total",
                       "Delete markers older than the tombstone grace this node's sweeps removed from the directory buckets.", [],
                       counters.deleteMarkersRemoved.load(ordering: .relaxed))
        scrape.counter("wamp_cluster_malformed_testaments_total", "Stored testament lists that did not decode (removed unpublished).", [],
                       counters.malformedTestaments.load(ordering: .relaxed))
        scrape.counter("wamp_cluster_nodes_lost_total", "Nodes declared dead (no heartbeat within --cluster-node-timeout).", [],
                       counters.nodesLost.load(ordering: .relaxed))
        scrape.counter("wamp_cluster_slot_reclaims_total", "Times this node lost its slot and claimed another.", [],
                       counters.slotReclaims.load(ordering: .relaxed))
    }
}
