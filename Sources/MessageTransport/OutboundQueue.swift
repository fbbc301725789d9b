import Logging
import NIOConcurrencyHelpers
import NIOCore
import Synchronization

/// What an `OutboundQueue` hands its items to, on the connection's event loop: the channel
/// handler that frames and writes them.
package protocol OutboundSink<Item>: AnyObject, SendableMetatype {
    associatedtype Item
    /// Writes one item now (the sink does its own backlog accounting and flush batching).
    func deliverOutbound(_ item: Item)
    /// The cross-thread part of the backlog went past the bound: close the connection.
    /// `pendingBytes` were still queued and are dropped with it.
    func outboundBacklogOverflowed(pendingBytes: Int)
    /// Storage the queue swaps its items into when it drains, kept by the sink so that draining
    /// does not allocate.
    var outboundDrainSpare: [Item] { get set }
}

/// The cross-thread half of a connection's outbound path, shared by every transport (WebSocket,
/// RawSocket): `send` may be called from any thread.
///
/// Sending on the connection's own event loop hands the item straight to the sink. Sending from
/// another thread appends to a lock-protected queue; the first item of a batch schedules one
/// `execute` hop that drains the whole queue on the loop. No Task, actor hop or per-item closure
/// on this path. The queued bytes count against the backlog bound; past it the queue refuses
/// everything for good and the connection is closed for overflow.
///
/// The per-message methods are `@inlinable`: the queue is generic over its transport's sink and
/// lives in another module, and unspecialised it cost every message its generic dispatch and
/// boxing (about +24% router instructions per delivered EVENT in the fan-out benchmark).
package final class OutboundQueue<Sink: OutboundSink>: Sendable where Sink.Item: Sendable {
    package let eventLoop: any EventLoop
    /// Bound of the outbound backlog in bytes (queued + still buffered by NIO).
    package let maxBacklogBytes: Int

    @usableFromInline
    struct CrossLoop: Sendable {
        @usableFromInline var items: [Sink.Item] = []
        @usableFromInline var bytes = 0
        @usableFromInline var hopScheduled = false
        @usableFromInline var closed = false
        @usableFromInline var overflowed = false

        @inlinable init() {}
    }

    @usableFromInline let crossLoop = NIOLockedValueBox(CrossLoop())
    /// Set while the cross-thread queue holds items. A send on the loop drains them first, so an
    /// item sent after another (in any thread's order that a lock or a reply establishes) is
    /// never written before it. Checked without the lock: one atomic load per send.
    @usableFromInline let crossLoopPending = Atomic<Bool>(false)
    @usableFromInline let sinkBox: NIOLoopBoundBox<Sink?>
    /// Items dropped because the connection was closing; said in the close's log line.
    @usableFromInline let discardedCount = Atomic<Int>(0)
    /// Set once the close was logged: what is dropped after that is the routing racing the
    /// session's leave, counted but logged at debug only.
    @usableFromInline let closeReported = Atomic<Bool>(false)
    /// The transport's process-wide discard counter.
    @usableFromInline let recordDiscarded: @Sendable (Int) -> Void
    /// "WebSocket", "RawSocket": for log lines.
    @usableFromInline let transportName: String
    @usableFromInline let logger: Logger

    package init(eventLoop: any EventLoop, maxBacklogBytes: Int, transportName: String, logger: Logger,
                 recordDiscarded: @escaping @Sendable (Int) -> Void) {
        self.eventLoop = eventLoop
        self.maxBacklogBytes = maxBacklogBytes
        self.transportName = transportName
        self.logger = logger
        self.recordDiscarded = recordDiscarded
        self.sinkBox = NIOLoopBoundBox.makeEmptyBox(valueType: Sink.self, eventLoop: eventLoop)
    }

    /// The attached sink, on the loop only.
    @inlinable package var sink: Sink? { self.sinkBox.value }

    /// Queues one item of `bytes` bytes (what counts against the backlog bound).
    @inlinable package func send(_ item: Sink.Item, bytes: Int) {
        if self.eventLoop.inEventLoop {
            if self.crossLoopPending.load(ordering: .acquiring) {
                self.drain()
            }
            if let sink = self.sinkBox.value {
                sink.deliverOutbound(item)
            } else {
                self.discarded(1)
            }
            return
        }
        let maxBacklogBytes = self.maxBacklogBytes
        let next = self.crossLoop.withLockedValue { queue -> CrossLoopNext in
            // Overflowed is for good: the connection is closing, so this is dropped and counted.
            if queue.closed || queue.overflowed { return .discard }
            let overflows = queue.bytes > 0 && queue.bytes + bytes > maxBacklogBytes
            if overflows {
                queue.overflowed = true
            } else {
                queue.items.append(item)
                queue.bytes += bytes
                self.crossLoopPending.store(true, ordering: .releasing)
            }
            if queue.hopScheduled { return overflows ? .discard : .nothing }
            queue.hopScheduled = true
            return overflows ? .discardAndHop : .hop
        }
        switch next {
        case .nothing: break
        case .discard: self.discarded(1)
        case .hop: self.eventLoop.execute { self.drain() }
        case .discardAndHop:
            self.discarded(1)
            self.eventLoop.execute { self.drain() }
        }
    }

    // MARK: - loop side

    @inlinable package func attach(_ sink: Sink) {
        self.sinkBox.value = sink
    }

    @inlinable package func detach() {
        self.sinkBox.value = nil
        self.markClosed()
    }

    /// After this, cross-thread sends are discarded (and counted) without a hop.
    @inlinable package func markClosed() {
        let dropped = self.crossLoop.withLockedValue { queue -> Int in
            queue.closed = true
            self.crossLoopPending.store(false, ordering: .releasing)
            let count = queue.items.count
            queue.items.removeAll()
            queue.bytes = 0
            return count
        }
        if dropped > 0 { self.discarded(dropped) }
    }

    @inlinable func drain() {
        guard let sink = self.sinkBox.value else {
            self.markClosed()
            return
        }
        var overflowed = false
        var pendingBytes = 0
        var items = sink.outboundDrainSpare
        sink.outboundDrainSpare = []
        self.crossLoop.withLockedValue { queue in
            swap(&queue.items, &items)
            pendingBytes = queue.bytes
            queue.bytes = 0
            queue.hopScheduled = false
            self.crossLoopPending.store(false, ordering: .releasing)
            overflowed = queue.overflowed
        }
        if overflowed {
            if !items.isEmpty { self.discarded(items.count) }
            items.removeAll(keepingCapacity: true)
            sink.outboundDrainSpare = items
            sink.outboundBacklogOverflowed(pendingBytes: pendingBytes)
            return
        }
        for item in items {
            sink.deliverOutbound(item)
        }
        items.removeAll(keepingCapacity: true)
        sink.outboundDrainSpare = items
    }

    /// Counts items the connection could not send (it is closing).
    @inlinable package func discarded(_ count: Int) {
        self.recordDiscarded(count)
        self.discardedCount.wrappingAdd(count, ordering: .relaxed)
        if self.closeReported.load(ordering: .relaxed) {
            self.logger.debug("\(self.transportName) message discarded: connection is closed", metadata: ["count": "\(count)"])
        }
    }

    /// Logs, once, at the level of the close, how many messages the closing connection dropped.
    package func reportDiscardedAtClose(level: Logger.Level) {
        guard !self.closeReported.exchange(true, ordering: .relaxed) else { return }
        let count = self.discardedCount.load(ordering: .relaxed)
        guard count > 0 else { return }
        self.logger.log(level: level, "\(self.transportName) connection closed with unsent messages dropped",
                        metadata: ["dropped": "\(count)"])
    }
}

/// What a cross-thread send does after queueing.
@usableFromInline enum CrossLoopNext { case nothing, hop, discard, discardAndHop }
