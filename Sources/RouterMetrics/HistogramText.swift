/// A per-thread histogram written in the Prometheus text format, in the shape swift-prometheus
/// gives its own histograms (cumulative `_bucket{le}` lines, `+Inf`, `_sum`, `_count`).
/// swift-prometheus's `Histogram` takes one observation per call, and the totals here are
/// already counted per bucket on the hot path; replaying them one by one would cost a lock per
/// observation at every scrape.
enum HistogramText {
    static func write(_ name: String, help: String, _ totals: HistogramTotals, layout: HistogramLayout, into buffer: inout [UInt8]) {
        var text = "# HELP \(name) \(help)\n# TYPE \(name) histogram\n"
        var cumulative = 0
        for (index, bound) in layout.bounds.enumerated() {
            cumulative &+= totals.buckets[index]
            text += "\(name)_bucket{le=\"\(Double(bound) / layout.divisor)\"} \(cumulative)\n"
        }
        text += "\(name)_bucket{le=\"+Inf\"} \(totals.count)\n"
        text += "\(name)_sum \(Double(totals.sum) / layout.divisor)\n"
        text += "\(name)_count \(totals.count)\n"
        buffer.append(contentsOf: text.utf8)
    }
}
