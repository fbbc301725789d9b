import NIOCore
import XCTest
@testable import WampMessages

/// One MessagePack value <-> `WampValue`: every format decodes, encoding picks the smallest
/// format, and each value class round-trips.
final class MsgpackValueCodecTests: XCTestCase {
    private let bytes = MsgpackTestSupport.bytes
    private let hex = MsgpackTestSupport.hex

    private func assertEncodes(_ value: WampValue, _ expected: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let encoded = try MsgpackTestSupport.encodeValue(value)
        XCTAssertEqual(hex(encoded), expected, "encoding of \(value)", file: file, line: line)
        XCTAssertEqual(try MsgpackValueCodec.decode(encoded), value, "round trip of \(value)", file: file, line: line)
    }

    func testIntegersAtEveryFormatBoundaryUseTheSmallestFormat() throws {
        try assertEncodes(.integer(0), "00")
        try assertEncodes(.integer(127), "7f")
        try assertEncodes(.integer(128), "cc80")
        try assertEncodes(.integer(255), "ccff")
        try assertEncodes(.integer(256), "cd0100")
        try assertEncodes(.integer(65535), "cdffff")
        try assertEncodes(.integer(65536), "ce00010000")
        try assertEncodes(.integer(4_294_967_295), "ceffffffff")
        try assertEncodes(.integer(4_294_967_296), "cf0000000100000000")
        try assertEncodes(.integer(Int64.max), "cf7fffffffffffffff")
        try assertEncodes(.unsignedInteger(UInt64(Int64.max) + 1), "cf8000000000000000")
        try assertEncodes(.unsignedInteger(UInt64.max), "cfffffffffffffffff")
        try assertEncodes(.integer(-1), "ff")
        try assertEncodes(.integer(-32), "e0")
        try assertEncodes(.integer(-33), "d0df")
        try assertEncodes(.integer(-128), "d080")
        try assertEncodes(.integer(-129), "d1ff7f")
        try assertEncodes(.integer(-32768), "d18000")
        try assertEncodes(.integer(-32769), "d2ffff7fff")
        try assertEncodes(.integer(Int64(Int32.min)), "d280000000")
        try assertEncodes(.integer(Int64(Int32.min) - 1), "d3ffffffff7fffffff")
        try assertEncodes(.integer(Int64.min), "d38000000000000000")
    }

    func testWiderThanNeededIntegerFormatsDecodeToTheSameValue() throws {
        XCTAssertEqual(try MsgpackValueCodec.decode(bytes("cc05")), .integer(5))
        XCTAssertEqual(try MsgpackValueCodec.decode(bytes("cd0005")), .integer(5))
        XCTAssertEqual(try MsgpackValueCodec.decode(bytes("ce00000005")), .integer(5))
        XCTAssertEqual(try MsgpackValueCodec.decode(bytes("cf0000000000000005")), .integer(5))
        XCTAssertEqual(try MsgpackValueCodec.decode(bytes("d005")), .integer(5))
        XCTAssertEqual(try MsgpackValueCodec.decode(bytes("d1fffb")), .integer(-5))
        XCTAssertEqual(try MsgpackValueCodec.decode(bytes("d2fffffffb")), .integer(-5))
        XCTAssertEqual(try MsgpackValueCodec.decode(bytes("d3fffffffffffffffb")), .integer(-5))
        // A uint64 that fits Int64 is an ordinary integer: one spelling per value.
        XCTAssertEqual(try MsgpackValueCodec.decode(bytes("cf7fffffffffffffff")), .integer(Int64.max))
    }

    func testFloats() throws {
        try assertEncodes(.double(0.1), "cb3fb999999999999a")
        try assertEncodes(.double(-0.0), "cb8000000000000000")
        try assertEncodes(.double(1e300), "cb7e37e43c8800759c")
        // float32 widens exactly: 0.1f is not 0.1, and must not be rounded to it.
        XCTAssertEqual(try MsgpackValueCodec.decode(bytes("ca3dcccccd")), .double(Double(Float(0.1))))
        XCTAssertEqual(try MsgpackValueCodec.decode(bytes("ca3fc00000")), .double(1.5))
        XCTAssertEqual(try MsgpackValueCodec.decode(bytes("cb3fb999999999999a")), .double(0.1))
    }

    func testNilAndBooleans() throws {
        try assertEncodes(.null, "c0")
        try assertEncodes(.bool(false), "c2")
        try assertEncodes(.bool(true), "c3")
    }

    func testStringsInEveryLengthFormat() throws {
        try assertEncodes(.string(""), "a0")
        try assertEncodes(.string("a"), "a161")
        let length31 = String(repeating: "x", count: 31), length32 = String(repeating: "x", count: 32)
        XCTAssertEqual(hex(try MsgpackTestSupport.encodeValue(.string(length31))).prefix(2), "bf")
        XCTAssertEqual(hex(try MsgpackTestSupport.encodeValue(.string(length32))).prefix(4), "d920")
        let length256 = String(repeating: "y", count: 256), length65536 = String(repeating: "z", count: 65536)
        XCTAssertEqual(hex(try MsgpackTestSupport.encodeValue(.string(length256))).prefix(6), "da0100")
        XCTAssertEqual(hex(try MsgpackTestSupport.encodeValue(.string(length65536))).prefix(10), "db00010000")
        for text in [length31, length32, length256, length65536] {
            XCTAssertEqual(try MsgpackValueCodec.decode(try MsgpackTestSupport.encodeValue(.string(text))), .string(text))
        }
        // Wider-than-needed forms decode too.
        XCTAssertEqual(try MsgpackValueCodec.decode(bytes("d90161")), .string("a"))
        XCTAssertEqual(try MsgpackValueCodec.decode(bytes("da000161")), .string("a"))
        XCTAssertEqual(try MsgpackValueCodec.decode(bytes("db0000000161")), .string("a"))
    }

    func testUnicodeStrings() throws {
        try assertEncodes(.string("é"), "a2c3a9")
        try assertEncodes(.string("日本語 🚀"), "aee697a5e69cace8aa9e20f09f9a80")
        try assertEncodes(.string("a\u{0}b"), "a3610062")
    }

    func testBinaryInEveryLengthFormat() throws {
        try assertEncodes(.binary([]), "c400")
        try assertEncodes(.binary([1, 2, 3]), "c403010203")
        let large = [UInt8](repeating: 7, count: 256), larger = [UInt8](repeating: 9, count: 65536)
        XCTAssertEqual(hex(try MsgpackTestSupport.encodeValue(.binary(large))).prefix(6), "c50100")
        XCTAssertEqual(hex(try MsgpackTestSupport.encodeValue(.binary(larger))).prefix(10), "c600010000")
        XCTAssertEqual(try MsgpackValueCodec.decode(try MsgpackTestSupport.encodeValue(.binary(larger))), .binary(larger))
        XCTAssertEqual(try MsgpackValueCodec.decode(bytes("c50001ff")), .binary([0xFF]))
        XCTAssertEqual(try MsgpackValueCodec.decode(bytes("c600000001ff")), .binary([0xFF]))
    }

    func testArraysAndMapsInEveryLengthFormat() throws {
        try assertEncodes(.array([]), "90")
        try assertEncodes(.map([]), "80")
        try assertEncodes(.array([.integer(1), .string("a")]), "9201a161")
        try assertEncodes(.map([.init("a", .integer(1)), .init("b", .array([]))]), "82a16101a16290")
        let fifteen = WampValue.array(Array(repeating: .null, count: 15))
        let sixteen = WampValue.array(Array(repeating: .null, count: 16))
        XCTAssertEqual(hex(try MsgpackTestSupport.encodeValue(fifteen)).prefix(2), "9f")
        XCTAssertEqual(hex(try MsgpackTestSupport.encodeValue(sixteen)).prefix(6), "dc0010")
        let many = WampValue.array(Array(repeating: .integer(1), count: 65536))
        XCTAssertEqual(hex(try MsgpackTestSupport.encodeValue(many)).prefix(10), "dd00010000")
        XCTAssertEqual(try MsgpackValueCodec.decode(try MsgpackTestSupport.encodeValue(many)), many)
        let members = WampValue.map((0..<16).map { .init("k\($0)", .integer(Int64($0))) })
        XCTAssertEqual(hex(try MsgpackTestSupport.encodeValue(members)).prefix(6), "de0010")
        XCTAssertEqual(try MsgpackValueCodec.decode(try MsgpackTestSupport.encodeValue(members)), members)
        XCTAssertEqual(try MsgpackValueCodec.decode(bytes("dc000101")), .array([.integer(1)]))
        XCTAssertEqual(try MsgpackValueCodec.decode(bytes("dd0000000101")), .array([.integer(1)]))
        XCTAssertEqual(try MsgpackValueCodec.decode(bytes("de0001a16101")), .map([.init("a", .integer(1))]))
        XCTAssertEqual(try MsgpackValueCodec.decode(bytes("df00000001a16101")), .map([.init("a", .integer(1))]))
    }

    func testNestedMapsKeepMemberOrder() throws {
        let value = WampValue.map([
            .init("z", .map([.init("y", .array([.map([]), .array([]), .binary([0])]))])),
            .init("a", .double(2.5)),
        ])
        try assertEncodes(value, "82a17a81a1799380 90c40100a161cb4004000000000000".replacingOccurrences(of: " ", with: ""))
    }

    func testNestingUpToTheDepthLimitRoundTripsAndDeeperIsRefused() throws {
        func nested(_ depth: Int) -> WampValue {
            (0..<depth).reduce(WampValue.null) { inner, _ in .array([inner]) }
        }
        let deepest = nested(WampValue.maxDepth)
        XCTAssertEqual(try MsgpackValueCodec.decode(try MsgpackTestSupport.encodeValue(deepest)), deepest)
        XCTAssertThrowsError(try MsgpackTestSupport.encodeValue(nested(WampValue.maxDepth + 1)))
        let tooDeep = bytes(String(repeating: "91", count: WampValue.maxDepth + 1) + "c0")
        XCTAssertThrowsError(try MsgpackValueCodec.decode(tooDeep)) { error in
            XCTAssertTrue("\(error)".contains("nesting deeper"), "\(error)")
        }
    }

    func testEncodeAppendsToWhatTheBufferHolds() throws {
        var buffer = ByteBuffer(bytes: [0xAB])
        try MsgpackValueCodec.encode(.integer(1), into: &buffer)
        XCTAssertEqual(hex(buffer), "ab01")
    }
}
