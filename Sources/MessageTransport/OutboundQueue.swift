import Logging
import NIOConcurrencyHelpers
import NIOCore
import Synchronization

/// What an `OutboundQueue` hands its messages to, on the connection's event loop: the channel
/// handler that frames and writes them.
package protocol OutboundSink: AnyObject {
    /// Writes one message now (the sink does its own backlog accounting and flush batching).
    func deliverOutbound(_ message: OutboundMessage)
    /// The cross-thread part of the backlog went past the bound: close the connection.
    /// `pendingBytes` were still queued and are dropped with it.
    func outboundBacklogOverflowed(pendingBytes: Int)
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
/// Not generic over the sink or the message type: called from other modules, a generic queue ran
/// unspecialised and paid runtime metadata lookups per message (see `OutboundMessage`).
package final class OutboundQueue: Sendable {
    package let eventLoop: any EventLoop
    /// Bound of the outbound backlog in bytes (queued + still buffered by NIO).
    package let maxBacklogBytes: Int

    struct CrossLoop: Sendable {
        var items: [OutboundMessage] = []
        var bytes = 0
        var hopScheduled = false
        var closed = false
        var overflowed = false

        init() {}
    }

    let crossLoop = NIOLockedValueBox(CrossLoop())
    /// Set while the cross-thread queue holds items. A send on the loop drains them first, so an
    /// item sent after another (in any thread's order that a lock or a reply establishes) is
    /// never written before it. Checked without the lock: one atomic load per send.
    let crossLoopPending = Atomic<Bool>(false)
    let sinkBox: NIOLoopBoundBox<(any OutboundSink)?>
    /// Storage the queue swaps its items into when it drains, so that draining does not allocate.
    let drainSpare: NIOLoopBoundBox<[OutboundMessage]>
    /// Items dropped because the connection was closing; said in the close's log line.
    let discardedCount = Atomic<Int>(0)
    /// Set once the close was logged: what is dropped after that is the routing racing the
    /// session's leave, counted but logged at debug only.
    let closeReported = Atomic<Bool>(false)
    /// The transport's process-wide discard counter.
    let recordDiscarded: @Sendable (Int) -> Void
    /// "WebSocket", "RawSocket": for log lines.
    let transportName: String
    let logger: Logger

    package init(eventLoop: any EventLoop, maxBacklogBytes: Int, transportName: String, logger: Logger,
                 recordDiscarded: @escaping @Sendable (Int) -> Void) {
        self.eventLoop = eventLoop
        self.maxBacklogBytes = maxBacklogBytes
        self.transportName = transportName
        self.logger = logger
        self.recordDiscarded = recordDiscarded
        self.drainSpare = NIOLoopBoundBox.makeBoxSendingValue([], eventLoop: eventLoop)
        self.sinkBox = NIOLoopBoundBox.makeEmptyBox(valueType: (any OutboundSink).self, eventLoop: eventLoop)
    }

    /// Bytes queued from other threads and not yet handed to the sink (the status page's
    /// backlog figure adds them to the on-loop estimate).
    package var queuedCrossLoopBytes: Int { self.crossLoop.withLockedValue { $0.bytes } }

    /// The attached sink, on the loop only.
    package var sink: (any OutboundSink)? { self.sinkBox.value }

    /// Queues one item of `bytes` bytes (what counts against the backlog bound).
    package func send(_ item: OutboundMessage, bytes: Int) {
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

    package func attach(_ sink: any OutboundSink) {
        self.sinkBox.value = sink
    }

    package func detach() {
        self.sinkBox.value = nil
        self.markClosed()
    }

    /// After this, cross-thread sends are discarded (and counted) without a hop.
    package func markClosed() {
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

    func drain() {
        guard let sink = self.sinkBox.value else {
            self.markClosed()
            return
        }
        var overflowed = false
        var pendingBytes = 0
        var items = self.drainSpare.value
        self.drainSpare.value = []
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
            self.drainSpare.value = items
            sink.outboundBacklogOverflowed(pendingBytes: pendingBytes)
            return
        }
        // Borrowed in place: a `for item in items` loop copies each message out (retains) first.
        items.withUnsafeBufferPointer { buffer in
            for index in buffer.indices { sink.deliverOutbound(buffer[index]) }
        }
        items.removeAll(keepingCapacity: true)
        self.drainSpare.value = items
    }

    /// Counts items the connection could not send (it is closing).
    package func discarded(_ count: Int) {
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
enum CrossLoopNext { case nothing, hop, discard, discardAndHop }
