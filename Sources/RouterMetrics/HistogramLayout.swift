/// A histogram kept as per-thread counters: one per bucket (not cumulative, so a recording
/// touches one), one for `+Inf`, the sum and the count. Bounds are in the unit recorded
/// (nanoseconds, receivers); `divisor` turns them and the sum into the exposed unit (a division, so that 50,000 ns prints as 5e-05).
package struct HistogramLayout: Sendable {
    package let bounds: [Int]
    package let divisor: Double

    package var slotCount: Int { bounds.count + 3 }

    /// Dealer time from CALL to the final RESULT: 50 µs to 10 s.
    package static let callDuration = HistogramLayout(
        bounds: [50_000, 100_000, 250_000, 500_000, 1_000_000, 2_500_000, 5_000_000, 10_000_000, 25_000_000,
                 50_000_000, 100_000_000, 250_000_000, 500_000_000, 1_000_000_000, 2_500_000_000, 10_000_000_000],
        divisor: 1e9)

    /// Receivers of one publication.
    package static let fanOut = HistogramLayout(
        bounds: [0, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000], divisor: 1)

    /// The slot (relative to the histogram's base) of the bucket `value` falls in.
    @inline(__always)
    func bucket(of value: Int) -> Int {
        var index = 0
        while index < bounds.count, value > bounds[index] { index += 1 }
        return index
    }

    var sumSlot: Int { bounds.count + 1 }
    var countSlot: Int { bounds.count + 2 }
}

/// One histogram's totals over all threads.
package struct HistogramTotals: Sendable, Equatable {
    /// Per bucket (not cumulative), the last one `+Inf`.
    package var buckets: [Int]
    package var sum: Int
    package var count: Int
}
