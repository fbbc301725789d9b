import XCTest
@testable import RouterConfig

final class IPNetworkTests: XCTestCase {
    func testIPv4NetworksAndAddresses() throws {
        let network = try XCTUnwrap(IPNetwork("10.1.2.3/8"))
        XCTAssertEqual(network.description, "10.0.0.0/8")
        XCTAssertTrue(network.contains([10, 200, 0, 1]))
        XCTAssertFalse(network.contains([11, 0, 0, 1]))
        let single = try XCTUnwrap(IPNetwork("192.168.1.7"))
        XCTAssertEqual(single.prefixLength, 32)
        XCTAssertTrue(single.contains([192, 168, 1, 7]))
        XCTAssertFalse(single.contains([192, 168, 1, 8]))
        XCTAssertTrue(try XCTUnwrap(IPNetwork("0.0.0.0/0")).contains([8, 8, 8, 8]))
        XCTAssertTrue(try XCTUnwrap(IPNetwork("172.16.0.0/12")).contains([172, 31, 255, 255]))
        XCTAssertFalse(try XCTUnwrap(IPNetwork("172.16.0.0/12")).contains([172, 32, 0, 0]))
    }

    func testIPv6NetworksAndMappedAddresses() throws {
        let loopback = try XCTUnwrap(IPNetwork("::1"))
        XCTAssertEqual(loopback.prefixLength, 128)
        XCTAssertTrue(loopback.contains(IPNetwork.parseAddress("::1")!))
        XCTAssertFalse(loopback.contains(IPNetwork.parseAddress("::2")!))
        let documentation = try XCTUnwrap(IPNetwork("2001:db8::/32"))
        XCTAssertTrue(documentation.contains(IPNetwork.parseAddress("2001:db8:ffff::1")!))
        XCTAssertFalse(documentation.contains(IPNetwork.parseAddress("2001:db9::1")!))
        // A client on a dual-stack socket shows as ::ffff:a.b.c.d; IPv4 networks still match it.
        XCTAssertTrue(try XCTUnwrap(IPNetwork("127.0.0.0/8")).contains(IPNetwork.parseAddress("::ffff:127.0.0.1")!))
        XCTAssertFalse(try XCTUnwrap(IPNetwork("::1")).contains([127, 0, 0, 1]))
        XCTAssertEqual(IPNetwork.parseAddress("1:2:3:4:5:6:7:8"), [0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8])
    }

    func testMalformed() {
        for text in ["", "10.0.0", "10.0.0.256", "10.0.0.0/33", "10.0.0.0/", "10.0.0.0/-1", "1.2.3.4/8/9", "::1/129", "1:::2",
                     "1::2::3", "12345::", "1:2:3:4:5:6:7:8:9", "localhost", "0x7f.0.0.1", "g::1"] {
            XCTAssertNil(IPNetwork(text), text)
        }
    }
}
