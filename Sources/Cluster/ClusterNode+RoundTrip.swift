import NIOCore

extension ClusterNode {
    /// A round trip to every node this one believes alive: an empty request to its
    /// `wamp.node.<slot>.sub`, and `done` once each has answered or `--cluster-ack-timeout` passed.
    /// Everything this node sent before has then reached each of them: new interest (a SUBSCRIBE
    /// answered here) and retained publications alike (docs/cluster.md "The very next
    /// request on any other node sees it"). Across the servers of a NATS cluster, interest
    /// travels between servers asynchronously, but in order with the messages behind it: an
    /// announcement that reached node B went through B's server after this node's SUB, so B's
    /// server knows the interest and B's next PUBLISH reaches this node. A node that does not
    /// answer in time is logged; its heartbeats decide whether it is alive.
    func roundTripToLiveNodes(_ done: @escaping @Sendable () -> Void) {
        let slots = liveSlots()
        guard !slots.isEmpty else {
            done()
            return
        }
        let timeout = Self.timeAmount(configuration.ackTimeout)
        let futures = slots.map { slot in
            connection.requestFuture(Self.announcementSubject(slot), payload: ByteBuffer(), timeout: timeout)
                .map { _ in nil as Int? }
                .recover { _ in slot }
        }
        EventLoopFuture.whenAllComplete(futures, on: connection.eventLoop).whenComplete { [logger] results in
            let silent = (try? results.get())?.compactMap { try? $0.get() }.compactMap { $0 } ?? []
            if !silent.isEmpty {
                logger.warning("cluster nodes did not answer an interest announcement in time", metadata: ["slots": "\(silent)"])
            }
            done()
        }
    }
}
