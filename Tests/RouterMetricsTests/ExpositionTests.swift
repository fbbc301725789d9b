import CoreMetrics
@testable import RouterMetrics
import XCTest

/// The exporter's text on its own: every family typed and explained once, counters and gauges
/// carrying the values set at scrape, histograms cumulative with `+Inf` equal to `_count`.
final class ExpositionTests: XCTestCase {
    func testTalliesCountersGaugesAndHistogramsRenderAsValidText() throws {
        let exporter = RouterMetricsExporter()
        let json = SessionLabels(realm: "realm1", transport: "websocket", serializer: "json")
        let cbor = SessionLabels(realm: "realm1", transport: "rawsocket", serializer: "cbor")
        exporter.sessionJoined(json)
        exporter.sessionJoined(json)
        exporter.sessionJoined(cbor)
        exporter.sessionLeft(json)
        exporter.authenticated(method: "ticket", succeeded: false)
        exporter.authenticated(method: "ticket", succeeded: true)
        exporter.authenticated(method: "ticket", succeeded: true)
        Traffic.published(receivers: 3)

        let text = exporter.render { scrape in
            scrape.counter("wamp_test_things_total", "Things.", [("kind", "a")], 5)
            scrape.counter("wamp_test_things_total", "Things.", [("kind", "b")], 7)
            scrape.gauge("wamp_test_level", "A level.", [], 42)
        }
        let parsed = try PrometheusText(text)
        XCTAssertEqual(parsed.value("wamp_sessions", ["realm": "realm1", "transport": "websocket", "serializer": "json"]), 1)
        XCTAssertEqual(parsed.value("wamp_sessions", ["realm": "realm1", "transport": "rawsocket", "serializer": "cbor"]), 1)
        XCTAssertEqual(parsed.value("wamp_session_joins_total", ["realm": "realm1", "transport": "websocket", "serializer": "json"]), 2)
        XCTAssertEqual(parsed.value("wamp_session_leaves_total", ["realm": "realm1", "transport": "websocket", "serializer": "json"]), 1)
        XCTAssertEqual(parsed.value("wamp_authentications_total", ["method": "ticket", "outcome": "success"]), 2)
        XCTAssertEqual(parsed.value("wamp_authentications_total", ["method": "ticket", "outcome": "failure"]), 1)
        XCTAssertEqual(parsed.value("wamp_test_things_total", ["kind": "b"]), 7)
        XCTAssertEqual(parsed.value("wamp_test_level"), 42)

        let expectedTypes = [
            "wamp_sessions": "gauge", "wamp_session_joins_total": "counter", "wamp_messages_received_total": "counter",
            "wamp_messages_sent_total": "counter", "wamp_errors_sent_total": "counter", "wamp_timeouts_total": "counter",
            "wamp_call_duration_seconds": "histogram", "wamp_publication_receivers": "histogram",
            "wamp_received_bytes_total": "counter", "wamp_sent_bytes_total": "counter", "wamp_test_level": "gauge",
        ]
        for (name, type) in expectedTypes {
            XCTAssertEqual(parsed.family(name)?.type, type, name)
        }
        for (name, family) in parsed.families {
            XCTAssertTrue(name.hasPrefix("wamp_"), name)
            XCTAssertFalse(family.help?.isEmpty ?? true, "\(name) has HELP")
            XCTAssertFalse(family.samples.isEmpty, "\(name) has samples")
            if family.type == "counter" { XCTAssertTrue(name.hasSuffix("_total"), name) }
            // One label set per family: every sample names the same labels.
            let labelNames = Set(family.samples.filter { !$0.name.hasSuffix("_bucket") }.map { Set($0.labels.keys) })
            XCTAssertEqual(labelNames.count, 1, "\(name): \(labelNames)")
        }
        try assertHistogramIsConsistent(parsed, "wamp_publication_receivers")
        try assertHistogramIsConsistent(parsed, "wamp_call_duration_seconds")
        XCTAssertEqual(parsed.family("wamp_messages_received_total")?.samples.count, 24, "every message type, stable series")
        XCTAssertEqual(parsed.family("wamp_errors_sent_total")?.samples.count, ReasonURI.labels.count)
        XCTAssertNotNil(parsed.value("wamp_errors_sent_total", ["uri": "other"]))
    }

    func testASecondScrapeSetsCountersToTheNewTotalsNotTheSum() throws {
        let exporter = RouterMetricsExporter()
        var total = 10
        for _ in 0..<3 {
            let text = exporter.render { $0.counter("wamp_test_moving_total", "Moving.", [], total) }
            XCTAssertEqual(try PrometheusText(text).value("wamp_test_moving_total"), Double(total))
            total += 5
        }
        let before = try PrometheusText(exporter.render { _ in }).value("wamp_messages_received_total", ["type": "SUBSCRIBED"]) ?? -1
        Traffic.received(.subscribed, bytes: 10, slot: .current)
        let after = try PrometheusText(exporter.render { _ in }).value("wamp_messages_received_total", ["type": "SUBSCRIBED"]) ?? -1
        XCTAssertEqual(after - before, 1)
    }

    func testTheSwiftMetricsFactoryWritesIntoTheSameExposition() throws {
        let exporter = RouterMetricsExporter()
        let counter = exporter.metricsFactory.makeCounter(label: "wamp_test_library_total", dimensions: [("lib", "x")])
        counter.increment(by: 3)
        let parsed = try PrometheusText(exporter.render { _ in })
        XCTAssertEqual(parsed.value("wamp_test_library_total", ["lib": "x"]), 3)
    }

    private func assertHistogramIsConsistent(_ parsed: PrometheusText, _ name: String, file: StaticString = #filePath,
                                             line: UInt = #line) throws {
        let family = try XCTUnwrap(parsed.family(name), file: file, line: line)
        let buckets = family.samples.filter { $0.name == name + "_bucket" }
        XCTAssertGreaterThan(buckets.count, 2, file: file, line: line)
        XCTAssertEqual(buckets.last?.labels["le"], "+Inf", file: file, line: line)
        let counts = buckets.map(\.value)
        XCTAssertEqual(counts, counts.sorted(), "cumulative", file: file, line: line)
        let bounds = buckets.dropLast().compactMap { Double($0.labels["le"]!) }
        XCTAssertEqual(bounds.count, buckets.count - 1, "every le but +Inf is a number", file: file, line: line)
        XCTAssertEqual(bounds, bounds.sorted(), file: file, line: line)
        XCTAssertEqual(parsed.value(name + "_count"), buckets.last?.value, file: file, line: line)
        XCTAssertNotNil(parsed.value(name + "_sum"), file: file, line: line)
    }
}
