import CJansson
import XCTest

@testable import WampRouterMain

final class BuildInfoTests: XCTestCase {
    func testReportNamesTheRouterCommitJanssonAndTheNIOPackages() {
        let text = BuildInfo.report(commit: "0123456789ab", janssonRuntime: "2.14", janssonHeaders: "2.14",
                                    packages: [("swift-nio", "2.101.3"), ("swift-nio-ssl", "2.37.6")])
        XCTAssertEqual(text, """
            wamp-router 0.1
            commit: 0123456789ab
            jansson: 2.14
            swift-nio: 2.101.3
            swift-nio-ssl: 2.37.6 (TLS: the BoringSSL bundled with it)
            """)
    }

    func testADifferentRuntimeJanssonIsShownBesideTheHeaders() {
        let text = BuildInfo.report(commit: "unknown", janssonRuntime: "2.15", janssonHeaders: "2.14", packages: [])
        XCTAssertTrue(text.contains("jansson: 2.15 (built against 2.14)"), text)
    }

    func testThisBinaryKnowsItsJanssonAndItsPackageVersions() {
        XCTAssertEqual(BuildInfo.janssonRuntimeVersion, String(cString: jansson_version_str()))
        XCTAssertFalse(BuildInfo.janssonRuntimeVersion.isEmpty)
        let packages = Dictionary(uniqueKeysWithValues: GeneratedBuildInfo.packageVersions.map { ($0.package, $0.version) })
        // Resolved from Package.swift's `from:` requirements: a real version number, not "unknown".
        XCTAssertNotNil(packages["swift-nio"]?.range(of: #"^2\.\d+\.\d+$"#, options: .regularExpression), "\(packages)")
        XCTAssertNotNil(packages["swift-nio-ssl"]?.range(of: #"^2\.\d+\.\d+$"#, options: .regularExpression), "\(packages)")
        XCTAssertFalse(GeneratedBuildInfo.commit.isEmpty)
    }
}
