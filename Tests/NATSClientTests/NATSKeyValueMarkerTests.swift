import Foundation
import NIOCore
import XCTest

@testable import NATSClient

/// Finding and removing delete markers, against a real nats-server.
final class NATSKeyValueMarkerTests: NATSServerTestCase {
    private func bucket(history: Int = 1) async throws -> NATSKeyValue {
        var configuration = NATSKeyValueConfiguration(bucket: "markers")
        configuration.history = history
        return try await NATSKeyValue.createOrBind(configuration, on: try await makeConnection())
    }

    func testBindFindsOnlyAnExistingBucket() async throws {
        let connection = try await makeConnection()
        let absent = try await NATSKeyValue.bind(bucket: "markers", on: connection)
        XCTAssertNil(absent)
        let kv = try await bucket()
        try await kv.put("k", ByteBuffer(string: "v"))
        let bound = try await NATSKeyValue.bind(bucket: "markers", on: connection)
        let entry = try await bound?.get("k")
        XCTAssertEqual(entry.map { String(buffer: $0.value) }, "v")
    }

    func testMarkersAreListedWithTheirTimeAndRemovedFromTheStream() async throws {
        let kv = try await bucket()
        let before = UInt64(Date().timeIntervalSince1970 * 1e9) - 5_000_000_000
        for index in 0..<20 { try await kv.put("gone.\(index)", ByteBuffer(string: "x")) }
        try await kv.put("live", ByteBuffer(string: "stays"))
        for index in 0..<20 { try await kv.delete("gone.\(index)") }
        try await kv.purge("purged")
        let status = try await kv.status()
        XCTAssertEqual(status.storedEntries, 22, "20 delete markers, a purge marker and a value")

        let markers = try await kv.markers()
        XCTAssertEqual(Set(markers.map(\.key)), Set((0..<20).map { "gone.\($0)" } + ["purged"]))
        XCTAssertTrue(markers.allSatisfy { ($0.created ?? 0) > before }, "each marker carries the server's time")
        for marker in markers { try await kv.removeMarker(marker.key, revision: marker.revision) }

        let after = try await kv.status()
        XCTAssertEqual(after.storedEntries, 1, "only the live value is left")
        XCTAssertEqual(after.lastRevision, status.lastRevision, "removing does not write")
        let remaining = try await kv.markers()
        XCTAssertEqual(remaining, [])
        let gone = try await kv.get("gone.3")
        XCTAssertNil(gone, "a removed marker reads as a key never written")
        let live = try await kv.get("live")
        XCTAssertEqual(live.map { String(buffer: $0.value) }, "stays")
        try await kv.create("gone.3", ByteBuffer(string: "again"))
    }

    /// The sweep's race: a marker is listed, then the key is created again before the removal.
    func testRemovingAMarkerKeepsAValueWrittenAfterIt() async throws {
        let kv = try await bucket(history: 5)
        try await kv.put("k", ByteBuffer(string: "1"))
        let marker = try await kv.delete("k")
        let recreated = try await kv.create("k", ByteBuffer(string: "2"))
        let purged = try await kv.removeMarker("k", revision: marker)
        XCTAssertEqual(purged, 2, "the first value and the marker")
        let entry = try await kv.get("k")
        XCTAssertEqual(entry?.revision, recreated)
        XCTAssertEqual(entry.map { String(buffer: $0.value) }, "2")
    }
}
