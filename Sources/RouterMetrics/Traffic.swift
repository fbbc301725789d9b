import NIOCore
import WampMessages

/// What the hot path records, each into the calling thread's `TrafficSlot`: a few loads and
/// stores, no lock, no atomic read-modify-write, no allocation. A scrape adds the threads up
/// (`TrafficTotals`).
package enum Traffic {
    /// A message decoded from a peer (`slot`: the connection's loop thread's, cached by its session).
    @inline(__always)
    package static func received(_ code: MessageCode, bytes: Int, slot: TrafficSlot) {
        slot.add(TrafficLayout.received(Int(code.rawValue)))
        slot.add(TrafficLayout.bytesReceived, bytes)
    }

    /// An encoded message queued for a peer; its type read from its first bytes.
    @inline(__always)
    package static func sent(_ message: EncodedMessage) {
        let slot = TrafficSlot.current
        slot.add(TrafficLayout.sent(MessageCodePeek.code(of: message.bytes, serialization: message.serialization)))
        slot.add(TrafficLayout.bytesSent, message.bytes.readableBytes)
    }

    /// An ERROR the router sent (its own, or a callee's forwarded): by URI, bounded.
    package static func errorSent(uri: String) {
        TrafficSlot.current.add(TrafficLayout.errorsBase + ReasonURI.index(of: uri))
    }

    /// An ABORT the router sent: by reason, bounded.
    package static func abortSent(reason: String) {
        TrafficSlot.current.add(TrafficLayout.abortsBase + ReasonURI.index(of: reason))
    }

    package static func timedOut(_ kind: TimeoutKind) {
        TrafficSlot.current.add(TrafficLayout.timeoutsBase + kind.rawValue)
    }

    /// A call answered with its final RESULT; `startedAt` from `MonotonicClock.nanoseconds()` at CALL.
    @inline(__always)
    package static func callAnswered(startedAt: UInt64) {
        let now = MonotonicClock.nanoseconds()
        let elapsed = now > startedAt ? Int(truncatingIfNeeded: now - startedAt) : 0
        TrafficSlot.current.record(elapsed, in: .callDuration, at: TrafficLayout.callDurationBase)
    }

    /// A publication delivered to `receivers` sessions.
    @inline(__always)
    package static func published(receivers: Int) {
        TrafficSlot.current.record(receivers, in: .fanOut, at: TrafficLayout.fanOutBase)
    }
}
