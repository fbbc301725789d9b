import NIOCore
import XCTest

@testable import NATSClient

final class NATSKeyValueUnitTests: XCTestCase {
    func testAckMetadataForms() {
        let old = NATSKeyValueWatcher.ackMetadata("$JS.ACK.KV_b.c1.1.42.7.1700000000.3")
        XCTAssertEqual(old?.streamSequence, 42)
        XCTAssertEqual(old?.consumerSequence, 7)
        XCTAssertEqual(old?.pending, 3)
        XCTAssertEqual(old?.timestamp, 1_700_000_000)
        let new = NATSKeyValueWatcher.ackMetadata("$JS.ACK.domain.hash.KV_b.c1.1.42.7.1700000000.0.token")
        XCTAssertEqual(new?.streamSequence, 42)
        XCTAssertEqual(new?.pending, 0)
        XCTAssertEqual(new?.timestamp, 1_700_000_000)
        XCTAssertNil(NATSKeyValueWatcher.ackMetadata("$JS.ACK.KV_b.c1.1.x.7.1.0"))
        XCTAssertNil(NATSKeyValueWatcher.ackMetadata("_INBOX.a.b.c.d.e.f.g.h"))
    }

    func testKeyAndBucketRules() {
        XCTAssertTrue(NATSKeyValueError.isValidKey("realm.a-b_c/d=e"))
        XCTAssertFalse(NATSKeyValueError.isValidKey("a b"))
        XCTAssertFalse(NATSKeyValueError.isValidKey("a.*"))
        XCTAssertTrue(NATSKeyValueError.isValidKey("a.*", pattern: true))
        XCTAssertFalse(NATSKeyValueError.isValidKey(".a"))
        XCTAssertFalse(NATSKeyValueError.isValidKey("a$"))
        XCTAssertTrue(NATSKeyValueError.isValidBucket("realms_1-x"))
        XCTAssertFalse(NATSKeyValueError.isValidBucket("a.b"))
        XCTAssertFalse(NATSKeyValueError.isValidBucket(""))
    }

    func testStreamConfiguration() {
        var configuration = NATSKeyValueConfiguration(bucket: "b")
        configuration.maxAge = .seconds(1)
        configuration.history = 5
        let config = NATSKeyValue.streamConfig(configuration)
        XCTAssertEqual(config["subjects"] as? [String], ["$KV.b.>"])
        XCTAssertEqual(config["max_age"] as? Int64, 1_000_000_000)
        XCTAssertEqual(config["duplicate_window"] as? Int64, 1_000_000_000, "not beyond max_age")
        XCTAssertEqual(config["max_msgs_per_subject"] as? Int, 5)
        XCTAssertEqual(config["deny_delete"] as? Bool, true)
        XCTAssertEqual(config["allow_direct"] as? Bool, true)
        XCTAssertEqual(config["allow_rollup_hdrs"] as? Bool, true)
    }

    func testServerAddresses() throws {
        XCTAssertEqual(try NATSServerAddress("nats://127.0.0.1:4333"), NATSServerAddress(host: "127.0.0.1", port: 4333))
        XCTAssertEqual(try NATSServerAddress("example.org"), NATSServerAddress(host: "example.org", port: 4222))
        XCTAssertEqual(try NATSServerAddress("nats://[::1]:5000"), NATSServerAddress(host: "::1", port: 5000))
        for bad in ["", "nats://", "a:0", "a:99999", "a:x", "nats://u:p@h:1", "h:1/path", "[::1"] {
            XCTAssertThrowsError(try NATSServerAddress(bad), bad)
        }
    }
}

final class NATSSecretsTests: XCTestCase {
    func testPasswordAndTokenNeverPrint() throws {
        var configuration = NATSConnectionConfiguration(servers: [try NATSServerAddress("h:1")], name: "n")
        configuration.user = "alice"
        configuration.password = "hunter2"
        configuration.token = "s3cret-token"
        let options = NATSConnectOptions(name: "n", user: "alice", password: "hunter2", token: "s3cret-token")
        for text in ["\(configuration)", String(reflecting: configuration), "\(options)", String(reflecting: options)] {
            XCTAssertFalse(text.contains("hunter2"), text)
            XCTAssertFalse(text.contains("s3cret"), text)
            XCTAssertTrue(text.contains("alice"), text)
        }
        var dumped = ""
        dump(configuration, to: &dumped)
        XCTAssertFalse(dumped.contains("hunter2"), dumped)
    }
}
