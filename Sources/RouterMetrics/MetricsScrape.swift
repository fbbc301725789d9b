import Prometheus

/// What one scrape collects before it is written out: counters (totals since start) and gauges
/// (current values), each with its labels. The router fills it from its realms and transports;
/// `RouterMetricsExporter` adds the hot-path totals and hands everything to swift-prometheus.
package struct MetricsScrape {
    struct Sample {
        let name: String
        let help: String
        let labels: [(String, String)]
        let value: Int

        var descriptor: MetricNameDescriptor { MetricNameDescriptor(metricName: name, unitName: "", helpText: help) }
    }

    var counters: [Sample] = []
    var gauges: [Sample] = []

    /// `name` ends in `_total`; `value` is the total since the process started.
    package mutating func counter(_ name: String, _ help: String, _ labels: [(String, String)] = [], _ value: Int) {
        counters.append(Sample(name: name, help: help, labels: labels, value: value))
    }

    package mutating func gauge(_ name: String, _ help: String, _ labels: [(String, String)] = [], _ value: Int) {
        gauges.append(Sample(name: name, help: help, labels: labels, value: value))
    }
}
