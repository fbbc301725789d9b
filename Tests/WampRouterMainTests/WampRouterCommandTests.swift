import ArgumentParser
import Cluster
import Logging
import WampRouter
import XCTest

@testable import WampRouterMain

final class WampRouterCommandTests: XCTestCase {
    func testLogFormatDefaultsToTextAndTakesJSON() throws {
        XCTAssertEqual(try WampRouterCommand.parse([]).logFormat, .text)
        XCTAssertEqual(try WampRouterCommand.parse(["--log-format", "json"]).logFormat, .json)
        XCTAssertEqual(try WampRouterCommand.parse(["--log-format", "text"]).logFormat, .text)
        XCTAssertThrowsError(try WampRouterCommand.parse(["--log-format", "xml"]))
    }

    func testShutdownGraceSetsTheGracePeriodAndDefaultsToTwoSeconds() throws {
        var configuration = RouterConfiguration()
        try WampRouterCommand.parse([]).applyFlags(to: &configuration)
        XCTAssertEqual(configuration.shutdownGracePeriod, .seconds(2))

        configuration = RouterConfiguration()
        try WampRouterCommand.parse(["--shutdown-grace", "3.5"]).applyFlags(to: &configuration)
        XCTAssertEqual(configuration.shutdownGracePeriod, .milliseconds(3500))

        configuration = RouterConfiguration()
        try WampRouterCommand.parse(["--shutdown-grace", "0"]).applyFlags(to: &configuration)
        XCTAssertEqual(configuration.shutdownGracePeriod, .zero)
    }

    func testMetricsAreOnByDefaultAndNoMetricsTurnsThemOff() throws {
        var configuration = RouterConfiguration()
        try WampRouterCommand.parse([]).applyFlags(to: &configuration)
        XCTAssertTrue(configuration.metrics)
        try WampRouterCommand.parse(["--no-metrics"]).applyFlags(to: &configuration)
        XCTAssertFalse(configuration.metrics)
        try WampRouterCommand.parse(["--metrics"]).applyFlags(to: &configuration)
        XCTAssertTrue(configuration.metrics)
    }

    func testAdminLimitFlagsReachTheAdminListener() throws {
        var configuration = RouterConfiguration()
        try WampRouterCommand.parse(["--admin-port", "0"]).applyFlags(to: &configuration)
        XCTAssertEqual(configuration.admin?.maxConnections, 64)
        XCTAssertEqual(configuration.admin?.maxBodyBytes, 4096)
        try WampRouterCommand.parse(["--admin-port", "0", "--admin-max-connections", "3", "--admin-max-body-bytes", "100"])
            .applyFlags(to: &configuration)
        XCTAssertEqual(configuration.admin?.maxConnections, 3)
        XCTAssertEqual(configuration.admin?.maxBodyBytes, 100)
        XCTAssertThrowsError(try WampRouterCommand.parse(["--admin-max-connections", "0"]))
        XCTAssertThrowsError(try WampRouterCommand.parse(["--admin-max-body-bytes", "0"]))
    }

    func testShutdownGraceRefusesNegativeAndEndlessValues() {
        for value in ["-1", "nan", "inf", "2000000"] {
            XCTAssertThrowsError(try WampRouterCommand.parse(["--shutdown-grace", value]), value) { error in
                XCTAssertTrue(WampRouterCommand.message(for: error).contains("--shutdown-grace"), "\(value): \(error)")
            }
        }
    }

    func testVersionIsASubcommand() throws {
        let command = try WampRouterCommand.parseAsRoot(["version"])
        XCTAssertTrue(command is VersionCommand, "\(type(of: command))")
    }

    func testTheRouterServiceIsTheLastToStartAndTheFirstToStop() throws {
        let health = RouterHealth()
        let wamp = WampRouterService(configuration: RouterConfiguration(), logger: Logger(label: "t"), health: health)
        let services = WampRouterCommand.lifecycleServices(wamp: wamp, health: health, logger: Logger(label: "t"))
        XCTAssertTrue(services.last?.service is WampRouterService)
    }
}

final class WampRouterCommandClusterTests: XCTestCase {
    func testClusterFlagsMakeTheClusterConfiguration() throws {
        var configuration = RouterConfiguration()
        try WampRouterCommand.parse([]).applyFlags(to: &configuration)
        XCTAssertNil(configuration.cluster, "no --cluster-nats: no cluster")

        try WampRouterCommand.parse(["--cluster-nats", "nats://a:4222", "--cluster-nats", "nats://b:4223", "--node-name", "n-1",
                                     "--cluster-node-timeout", "3", "--cluster-ack-timeout", "0.5", "--cluster-kv-replicas", "3",
                                     "--cluster-max-remote-invocations", "7", "--cluster-max-directory-changes", "9",
                                     "--cluster-max-pending-flushes", "11", "--cluster-max-meta-queries", "13",
                                     "--cluster-max-tracked-sessions", "17"]).applyFlags(to: &configuration)
        let cluster = try XCTUnwrap(configuration.cluster)
        XCTAssertEqual(cluster.natsServers, ["nats://a:4222", "nats://b:4223"])
        XCTAssertEqual(cluster.nodeName, "n-1")
        XCTAssertEqual(cluster.nodeTimeout, .seconds(3))
        XCTAssertEqual(cluster.ackTimeout, .milliseconds(500))
        XCTAssertEqual(cluster.keyValueReplicas, 3)
        XCTAssertEqual(cluster.maxPendingFlushes, 11)
        XCTAssertEqual(cluster.maxMetaQueriesInFlight, 13)
        XCTAssertEqual(cluster.maxTrackedSessions, 17)
        let limits = ClusterRPCLimits(cluster)
        XCTAssertEqual(limits.keyValueReplicas, 3)
        XCTAssertEqual(limits.maxPendingInvocationsPerRemoteCaller, 7)
        XCTAssertEqual(limits.maxDirectoryChangesInFlight, 9)
        XCTAssertEqual(limits.ackTimeout, .milliseconds(500))

        configuration = RouterConfiguration()
        try WampRouterCommand.parse(["--cluster-nats", "nats://a"]).applyFlags(to: &configuration)
        XCTAssertNil(ClusterConfiguration.problem(withNodeName: configuration.cluster!.nodeName), "the host-name default is a valid node name")

        // --cluster-nats replaces the file's servers and keeps its other settings.
        configuration = RouterConfiguration()
        var fromFile = ClusterConfiguration(natsServers: ["nats://file"], nodeName: "file-node")
        fromFile.nodeTimeout = .seconds(9)
        fromFile.keyValueReplicas = 3
        configuration.cluster = fromFile
        try WampRouterCommand.parse(["--cluster-nats", "nats://flag", "--cluster-ack-timeout", "1"]).applyFlags(to: &configuration)
        XCTAssertEqual(configuration.cluster?.natsServers, ["nats://flag"])
        XCTAssertEqual(configuration.cluster?.nodeTimeout, .seconds(9))
        XCTAssertEqual(configuration.cluster?.keyValueReplicas, 3)
        XCTAssertEqual(configuration.cluster?.ackTimeout, .seconds(1))
    }

    func testClusterFlagsAreChecked() {
        XCTAssertThrowsError(try WampRouterCommand.parse(["--node-name", "a.b"]))
        XCTAssertThrowsError(try WampRouterCommand.parse(["--cluster-nats", "nats://a/b"]))
        XCTAssertThrowsError(try WampRouterCommand.parse(["--cluster-node-timeout", "0"]))
        XCTAssertThrowsError(try WampRouterCommand.parse(["--cluster-ack-timeout", "-1"]))
        XCTAssertThrowsError(try WampRouterCommand.parse(["--cluster-kv-replicas", "0"]))
        XCTAssertThrowsError(try WampRouterCommand.parse(["--cluster-kv-replicas", "6"]))
        XCTAssertThrowsError(try WampRouterCommand.parse(["--cluster-max-remote-invocations", "0"]))
        XCTAssertThrowsError(try WampRouterCommand.parse(["--cluster-max-directory-changes", "-3"]))
        XCTAssertThrowsError(try WampRouterCommand.parse(["--cluster-max-pending-flushes", "0"]))
        XCTAssertThrowsError(try WampRouterCommand.parse(["--cluster-max-meta-queries", "0"]))
        XCTAssertThrowsError(try WampRouterCommand.parse(["--cluster-max-tracked-sessions", "-1"]))
    }

    func testTheDeleteMarkerSweepFlags() throws {
        var configuration = RouterConfiguration()
        try WampRouterCommand.parse(["--cluster-nats", "nats://a"]).applyFlags(to: &configuration)
        XCTAssertEqual(configuration.cluster?.tombstoneGrace, .seconds(300))
        XCTAssertEqual(configuration.cluster?.sweepInterval, .seconds(60))
        try WampRouterCommand.parse(["--cluster-nats", "nats://a", "--cluster-tombstone-grace", "30",
                                     "--cluster-sweep-interval", "2.5"]).applyFlags(to: &configuration)
        let cluster = try XCTUnwrap(configuration.cluster)
        XCTAssertEqual(cluster.tombstoneGrace, .seconds(30))
        XCTAssertEqual(cluster.sweepInterval, .milliseconds(2500))
        XCTAssertEqual(ClusterRPCLimits(cluster).tombstoneGrace, .seconds(30), "the copies use the same grace")
        XCTAssertThrowsError(try WampRouterCommand.parse(["--cluster-tombstone-grace", "0.5"]))
        XCTAssertThrowsError(try WampRouterCommand.parse(["--cluster-sweep-interval", "0"]))
        XCTAssertThrowsError(try WampRouterCommand.parse(["--cluster-sweep-interval", "nan"]))
    }
}
