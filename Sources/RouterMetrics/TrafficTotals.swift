import WampMessages

/// The hot-path counters of all threads added up, read by name.
package struct TrafficTotals: Sendable {
    package let raw: [Int]

    package init(raw: [Int]) {
        precondition(raw.count == TrafficLayout.slotCount)
        self.raw = raw
    }

    /// Now, over every thread that recorded.
    package static func now() -> TrafficTotals { TrafficTotals(raw: TrafficSlots.shared.totals()) }

    package func received(_ code: MessageCode) -> Int { raw[TrafficLayout.received(Int(code.rawValue))] }
    package func sent(_ code: MessageCode) -> Int { raw[TrafficLayout.sent(Int(code.rawValue))] }
    /// Messages sent, all types.
    package var messagesSent: Int {
        (0..<TrafficLayout.codeCount).reduce(0) { $0 &+ raw[TrafficLayout.sent($1)] }
    }
    /// Messages sent whose bytes did not start like a WAMP message (never expected).
    package var sentUnknown: Int { raw[TrafficLayout.sent(0)] }
    package var bytesReceived: Int { raw[TrafficLayout.bytesReceived] }
    package var bytesSent: Int { raw[TrafficLayout.bytesSent] }
    package func errors(labelIndex: Int) -> Int { raw[TrafficLayout.errorsBase + labelIndex] }
    package func aborts(labelIndex: Int) -> Int { raw[TrafficLayout.abortsBase + labelIndex] }
    package func timeouts(_ kind: TimeoutKind) -> Int { raw[TrafficLayout.timeoutsBase + kind.rawValue] }
    package var callDuration: HistogramTotals { histogram(.callDuration, at: TrafficLayout.callDurationBase) }
    package var fanOut: HistogramTotals { histogram(.fanOut, at: TrafficLayout.fanOutBase) }

    /// The count is the buckets' sum, so that `+Inf` and `_count` agree even when a recording
    /// raced the scrape (the slots are read one by one).
    private func histogram(_ layout: HistogramLayout, at base: Int) -> HistogramTotals {
        let buckets = Array(raw[base..<(base + layout.bounds.count + 1)])
        return HistogramTotals(buckets: buckets, sum: raw[base + layout.sumSlot], count: buckets.reduce(0, &+))
    }
}
