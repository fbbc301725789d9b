import NIOCore
import WampMessages

/// What the hot path records, each into the calling thread's `TrafficSlot`: a few loads and
/// stores, no lock, no atomic read-modify-write, no allocation. A scrape adds the threads up
/// (`TrafficTotals`).
///
/// With `isRecording` off (`--no-metrics`) every function here returns at its first branch.
package enum Traffic {
    /// Whether the hot path records. Process-wide, like the counters it guards.
    ///
    /// Why a plain `nonisolated(unsafe)` variable is safe here: it is written only at start-up,
    /// before any event loop exists (`WampRouter.recordMetrics(_:)`, which `wamp-router` calls
    /// before it starts the router), and only read after that. The threads that read it are
    /// created after the write, and thread creation orders the write before everything the new
    /// thread does, so no reader sees a torn or stale value. A branch on a value that never
    /// changes is predicted right every time: that, and one load from a cache line that is only
    /// ever read, is what the switch costs when metrics are on. (Tests flip it between routers,
    /// never while one runs.)
    nonisolated(unsafe) package static var isRecording = true

    /// When a CALL arrived, for `callAnswered(startedAt:)`: 0 (and no clock read) with recording off.
    @inline(__always)
    package static func callStarted() -> UInt64 {
        guard isRecording else { return 0 }
        return MonotonicClock.nanoseconds()
    }

    /// A message decoded from a peer (`slot`: the connection's loop thread's, cached by its session).
    @inline(__always)
    package static func received(_ code: MessageCode, bytes: Int, slot: TrafficSlot) {
        guard isRecording else { return }
        slot.add(TrafficLayout.received(Int(code.rawValue)))
        slot.add(TrafficLayout.bytesReceived, bytes)
    }

    /// An encoded message queued for a peer; its type read from its first bytes.
    @inline(__always)
    package static func sent(_ message: EncodedMessage) {
        guard isRecording else { return }
        let slot = TrafficSlot.current
        slot.add(TrafficLayout.sent(MessageCodePeek.code(of: message.bytes, serialization: message.serialization)))
        slot.add(TrafficLayout.bytesSent, message.bytes.readableBytes)
    }

    /// An ERROR the router sent (its own, or a callee's forwarded): by URI, bounded.
    package static func errorSent(uri: String) {
        guard isRecording else { return }
        TrafficSlot.current.add(TrafficLayout.errorsBase + ReasonURI.index(of: uri))
    }

    /// An ABORT the router sent: by reason, bounded.
    package static func abortSent(reason: String) {
        guard isRecording else { return }
        TrafficSlot.current.add(TrafficLayout.abortsBase + ReasonURI.index(of: reason))
    }

    package static func timedOut(_ kind: TimeoutKind) {
        guard isRecording else { return }
        TrafficSlot.current.add(TrafficLayout.timeoutsBase + kind.rawValue)
    }

    /// A call answered with its final RESULT; `startedAt` from `MonotonicClock.nanoseconds()` at CALL.
    @inline(__always)
    package static func callAnswered(startedAt: UInt64) {
        guard isRecording else { return }
        let now = MonotonicClock.nanoseconds()
        let elapsed = now > startedAt ? Int(truncatingIfNeeded: now - startedAt) : 0
        TrafficSlot.current.record(elapsed, in: .callDuration, at: TrafficLayout.callDurationBase)
    }

    /// A publication delivered to `receivers` sessions.
    @inline(__always)
    package static func published(receivers: Int) {
        guard isRecording else { return }
        TrafficSlot.current.record(receivers, in: .fanOut, at: TrafficLayout.fanOutBase)
    }
}
