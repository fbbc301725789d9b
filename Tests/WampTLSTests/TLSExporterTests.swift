import Foundation
import XCTest

@testable import WampTLS

/// Values exported by OpenSSL 3.0 (`s_client -keylogfile ... -keymatexport
/// EXPORTER-Channel-Binding -keymatexportlen 32`) from real TLS 1.3 connections, so the
/// derivation is checked against another implementation, not against itself.
final class TLSExporterTests: XCTestCase {
    func testSHA256SuiteMatchesOpenSSL() throws {
        let line = "EXPORTER_SECRET caaad3bc3b8fbd7f949793984858cfddafa2ecfb41365f71cce0825abcbbc123 "
            + "46caa8cbf3bb96c6c0700d99167aa63ce1e3b228607e4c77033ebe6cfe350f30"
        let secret = try XCTUnwrap(TLSExporter.exporterSecret(keyLogLine: line))
        let exported = try XCTUnwrap(TLSExporter.export(secret: secret, label: TLSExporter.channelBindingLabel, length: 32))
        XCTAssertEqual(hex(exported), "e05c5aadda766dabff03df5264e96d4d889eee1d35f45bfdf16646a446ba33d0")
    }

    func testSHA384SuiteMatchesOpenSSL() throws {
        let line = "EXPORTER_SECRET 4d3c19d89d4c4de1b5731a99ad150c7314a5992d29daf996b9b6b4261305affa "
            + "8238711795b0383fa3e9bdc39ab4e6aaa26f67f9609645a06fd40ba92a9827eaf46e60a51e13c45561a6e2a3ff3ed3d1"
        let secret = try XCTUnwrap(TLSExporter.exporterSecret(keyLogLine: line))
        let exported = try XCTUnwrap(TLSExporter.export(secret: secret, label: TLSExporter.channelBindingLabel, length: 32))
        XCTAssertEqual(hex(exported), "e9491b82b2cf56939f45b75b990bace4adf2b106ce49ec7d382375a90bfdd224")
    }

    func testOtherKeyLogLinesAreIgnored() {
        XCTAssertNil(TLSExporter.exporterSecret(keyLogLine: "CLIENT_TRAFFIC_SECRET_0 00 " + String(repeating: "ab", count: 32)))
        XCTAssertNil(TLSExporter.exporterSecret(keyLogLine: "CLIENT_RANDOM 00 " + String(repeating: "ab", count: 48)))
        XCTAssertNil(TLSExporter.exporterSecret(keyLogLine: "EXPORTER_SECRET 00 zz"))
        XCTAssertNil(TLSExporter.exporterSecret(keyLogLine: "EXPORTER_SECRET 00 " + String(repeating: "ab", count: 20)))
        XCTAssertNil(TLSExporter.export(secret: [1, 2, 3], label: "x", length: 32))
    }
}

func hex(_ bytes: [UInt8]) -> String {
    bytes.map { String(format: "%02x", $0) }.joined()
}
