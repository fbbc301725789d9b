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
}
