import XCTest
@testable import RouterConfig

final class ClusterSpecTests: XCTestCase {
    func testTheRouterWorkersClusterSection() throws {
        let file = parsedFile(nodeConfig(router: """
            "cluster": {"nats": ["nats://10.0.0.1:4222", "nats://u:p@10.0.0.2"], "node_name": "n1", "node_timeout": 3000, "ack_timeout": 500,
                        "kv_replicas": 3, "max_remote_invocations": 50, "max_directory_changes": 7, "max_pending_flushes": 5,
                        "max_meta_queries": 9, "max_tracked_sessions": 11}
            """))
        let spec = try XCTUnwrap(file?.cluster)
        XCTAssertEqual(spec.nats, ["nats://10.0.0.1:4222", "nats://u:p@10.0.0.2"])
        let configuration = spec.configuration(defaultName: "host")
        XCTAssertEqual(configuration.nodeName, "n1")
        XCTAssertEqual(configuration.nodeTimeout, .seconds(3))
        XCTAssertEqual(configuration.ackTimeout, .milliseconds(500))
        XCTAssertEqual(configuration.keyValueReplicas, 3)
        XCTAssertEqual(configuration.maxRemoteInvocationsPerCaller, 50)
        XCTAssertEqual(configuration.maxDirectoryChangesInFlight, 7)
        XCTAssertEqual(configuration.maxPendingFlushes, 5)
        XCTAssertEqual(configuration.maxMetaQueriesInFlight, 9)
        XCTAssertEqual(configuration.maxTrackedSessions, 11)
        XCTAssertNil(parsedFile(nodeConfig())?.cluster)
        XCTAssertEqual(parsedFile(nodeConfig(router: #""cluster": {"nats": ["nats://h"]}"#))?.cluster?
            .configuration(defaultName: "host").nodeName, "host")
    }

    func testClusterProblemsAreReported() {
        let found = problems(nodeConfig(router: """
            "cluster": {"nats": ["nats://a/b"], "node_name": "a.b", "node_timeout": 5, "extra": 1, "kv_replicas": 6,
                        "max_remote_invocations": 0, "max_directory_changes": "many", "max_meta_queries": 0,
                        "max_tracked_sessions": -2}
            """)).map(\.description).joined(separator: "\\n")
        XCTAssertTrue(found.contains("cluster.nats"), found)
        XCTAssertTrue(found.contains("cluster.node_name"), found)
        XCTAssertTrue(found.contains("cluster.node_timeout"), found)
        XCTAssertTrue(found.contains("cluster.extra"), found)
        XCTAssertTrue(found.contains("cluster.kv_replicas"), found)
        XCTAssertTrue(found.contains("cluster.max_remote_invocations"), found)
        XCTAssertTrue(found.contains("cluster.max_directory_changes"), found)
        XCTAssertTrue(found.contains("cluster.max_meta_queries"), found)
        XCTAssertTrue(found.contains("cluster.max_tracked_sessions"), found)
        XCTAssertFalse(problems(nodeConfig(router: #""cluster": {"node_name": "n1"}"#)).isEmpty)
    }

    func testTheDeleteMarkerSweepSettings() throws {
        let file = parsedFile(nodeConfig(router: #""cluster": {"nats": ["nats://h"], "tombstone_grace": 45000, "sweep_interval": 5000}"#))
        let configuration = try XCTUnwrap(file?.cluster).configuration(defaultName: "host")
        XCTAssertEqual(configuration.tombstoneGrace, .seconds(45))
        XCTAssertEqual(configuration.sweepInterval, .seconds(5))
        let found = problems(nodeConfig(router: #""cluster": {"nats": ["nats://h"], "tombstone_grace": 10, "sweep_interval": "often"}"#))
            .map(\.description).joined(separator: "\n")
        XCTAssertTrue(found.contains("cluster.tombstone_grace"), found)
        XCTAssertTrue(found.contains("cluster.sweep_interval"), found)
    }
}
