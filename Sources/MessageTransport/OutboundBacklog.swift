import NIOCore

/// The on-loop half of a connection's outbound path, shared by every transport: how many bytes
/// are unsent (NIO's `bufferedWritableBytes`, sampled at each flush, plus what was written since),
/// whether one more write fits under the bound, and one flush per loop tick.
///
/// Inlinable: it runs several times per message, from another module.
///
/// Sampling only at flushes keeps a `getOption` call off every write; a write that would cross
/// the bound on the stale estimate re-samples before it is refused.
///
/// No method calls out: the caller reads the channel (`bufferedBytes(of:)`) between two accesses.
/// That is what lets the handlers store it with `@exclusivity(unchecked)`: no access to it can
/// start inside another, and the run-time check on each of its several accesses per message
/// cost more than anything else on the outbound path.
package struct OutboundBacklog {
    package let maxBytes: Int
    @usableFromInline package private(set) var bufferedAtSample = 0
    @usableFromInline package private(set) var writtenSinceSample = 0
    /// Writes wait for a flush.
    @usableFromInline package private(set) var flushPending = false
    /// A flush hop is scheduled for this tick.
    @usableFromInline var flushScheduled = false
    /// The overflow was counted and logged (and the close is under way): once per connection.
    @usableFromInline var overflowReported = false

    @inlinable package init(maxBytes: Int) {
        self.maxBytes = maxBytes
    }

    /// Unsent bytes as last known.
    @inlinable package var estimate: Int { self.bufferedAtSample + self.writtenSinceSample }

    /// True when `size` more bytes stay under the bound on the current estimate. One message on
    /// an empty backlog always goes. When false, the estimate may be stale (bytes drained since
    /// the last flush): the caller re-samples and asks `admitsOnSample`.
    @inlinable package func admitsOnEstimate(_ size: Int) -> Bool {
        let before = self.estimate
        return !(before > 0 && before + size > self.maxBytes)
    }

    /// After a fresh `sampled(bufferedBytes:)`: false when `size` more bytes would take the unsent
    /// backlog past the bound (the caller closes the connection for overflow).
    @inlinable package func admitsOnSample(_ size: Int) -> Bool {
        !(self.bufferedAtSample > 0 && self.bufferedAtSample + size > self.maxBytes)
    }

    /// `size` bytes were written (not yet flushed).
    @inlinable package mutating func wrote(_ size: Int) {
        self.writtenSinceSample += size
    }

    /// What NIO still buffers for `channel` (on its loop).
    @inlinable package static func bufferedBytes(of channel: any Channel) -> Int {
        (try? channel.syncOptions?.getOption(.bufferedWritableBytes)) ?? 0
    }

    /// `bufferedBytes` is what `bufferedBytes(of:)` just read.
    @inlinable package mutating func sampled(bufferedBytes: Int) {
        self.bufferedAtSample = bufferedBytes
        self.writtenSinceSample = 0
    }

    /// A write wants a flush. True when the caller must schedule the tick's flush hop (not
    /// while a read is in progress: the read's completion flushes).
    @inlinable package mutating func flushRequested(inRead: Bool) -> Bool {
        self.flushPending = true
        guard !inRead, !self.flushScheduled else { return false }
        self.flushScheduled = true
        return true
    }

    /// The scheduled hop runs: true when a flush is still wanted.
    @inlinable package mutating func flushHopRan() -> Bool {
        self.flushScheduled = false
        return self.flushPending
    }

    /// The caller flushes now: `context.flush()`, then `sampled(bufferedBytes:)`. Not one mutating
    /// method doing both: a flush can call back into the handler (writability changes, a failed
    /// write closing the channel), which touches the backlog again, so no access to it may span
    /// the flush.
    @inlinable package mutating func flushStarted() {
        self.flushPending = false
    }

    /// A write that flushes on its own (a close frame) took over the pending flush.
    @inlinable package mutating func flushTakenOver() {
        self.flushPending = false
    }

    /// True the first time only: sends racing the deferred close land here again, and must not
    /// count or log the same overflow twice.
    @inlinable package mutating func overflowFirstReported() -> Bool {
        guard !self.overflowReported else { return false }
        self.overflowReported = true
        return true
    }
}
