import Cluster
import XCTest

final class ClusterConfigurationTests: XCTestCase {
    func testNodeNamesAreOneSubjectToken() {
        XCTAssertNil(ClusterConfiguration.problem(withNodeName: "n1"))
        XCTAssertNil(ClusterConfiguration.problem(withNodeName: "eu-west_2"))
        XCTAssertNotNil(ClusterConfiguration.problem(withNodeName: ""))
        XCTAssertNotNil(ClusterConfiguration.problem(withNodeName: "a.b"))
        XCTAssertNotNil(ClusterConfiguration.problem(withNodeName: "a*"))
        XCTAssertNotNil(ClusterConfiguration.problem(withNodeName: "a b"))
        XCTAssertNotNil(ClusterConfiguration.problem(withNodeName: String(repeating: "n", count: 65)))
    }

    func testRPCLimitsTakeTheAckTimeoutOfTheConfiguration() {
        var configuration = ClusterConfiguration(natsServers: ["nats://127.0.0.1:4222"], nodeName: "n1")
        configuration.ackTimeout = .milliseconds(750)
        XCTAssertEqual(ClusterRPCLimits(configuration).ackTimeout, .milliseconds(750))
        XCTAssertEqual(ClusterRPCLimits().ackTimeout, .seconds(2))
    }
}
