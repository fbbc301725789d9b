import NIOCore
import XCTest
@testable import WampMessages

/// `CBORValueCodec`: one CBOR data item <-> `WampValue`, checked against the encodings RFC 8949
/// Appendix A lists, in both directions.
final class CBORValueCodecTests: XCTestCase {
    private typealias T = CBORTestSupport

    private func decode(_ hex: String, file: StaticString = #filePath, line: UInt = #line) throws -> WampValue {
        try CBORValueCodec.decode(T.bytes(hex))
    }

    private func assertRefused(_ hex: String, containing words: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try CBORValueCodec.decode(T.bytes(hex)), hex, file: file, line: line) { error in
            let reason = (error as? PayloadConversionError)?.reason ?? ""
            XCTAssertTrue(reason.contains(words), "\(hex): \(reason)", file: file, line: line)
        }
    }

    /// Encodes to exactly `hex` (preferred serialization) and decodes back to the same value.
    private func assertCanonical(_ value: WampValue, _ hex: String, file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(T.hex(try T.encode(value)), hex, "\(value)", file: file, line: line)
        XCTAssertEqual(try CBORValueCodec.decode(T.bytes(hex)), value, hex, file: file, line: line)
    }

    func testIntegerHeadsAreTheShortestAtEveryBoundary() throws {
        try assertCanonical(.integer(0), "00")
        try assertCanonical(.integer(23), "17")
        try assertCanonical(.integer(24), "1818")
        try assertCanonical(.integer(255), "18ff")
        try assertCanonical(.integer(256), "190100")
        try assertCanonical(.integer(65535), "19ffff")
        try assertCanonical(.integer(65536), "1a00010000")
        try assertCanonical(.integer(4_294_967_295), "1affffffff")
        try assertCanonical(.integer(4_294_967_296), "1b0000000100000000")
        try assertCanonical(.integer(Int64.max), "1b7fffffffffffffff")
        try assertCanonical(.integer(-1), "20")
        try assertCanonical(.integer(-24), "37")
        try assertCanonical(.integer(-25), "3818")
        try assertCanonical(.integer(-256), "38ff")
        try assertCanonical(.integer(-257), "390100")
        try assertCanonical(.integer(-65537), "3a00010000")
        try assertCanonical(.integer(Int64.min), "3b7fffffffffffffff")
    }

    func testUnsignedBeyondInt64IsUnsignedInteger() throws {
        try assertCanonical(.unsignedInteger(UInt64(Int64.max) + 1), "1b8000000000000000")
        try assertCanonical(.unsignedInteger(UInt64.max), "1bffffffffffffffff")
    }

    func testNonPreferredIntegerHeadsDecodeToTheSameValue() throws {
        XCTAssertEqual(try decode("1800"), .integer(0))
        XCTAssertEqual(try decode("1b0000000000000017"), .integer(23))
        XCTAssertEqual(try decode("3900ff"), .integer(-256))
    }

    func testNegativeBelowInt64MinCannotBeRepresented() {
        assertRefused("3b8000000000000000", containing: "cannot be represented")
        assertRefused("3bffffffffffffffff", containing: "cannot be represented")  // -2^64
    }

    func testDoublesKeepTheirExactValue() throws {
        try assertCanonical(.double(0.1), "fb3fb999999999999a")
        try assertCanonical(.double(1.5), "fb3ff8000000000000")
        try assertCanonical(.double(-4.1), "fbc010666666666666")
        try assertCanonical(.double(1.0e300), "fb7e37e43c8800759c")
        XCTAssertEqual(T.hex(try T.encode(.double(.infinity))), "fb7ff0000000000000")
    }

    func testHalfFloatsDecodeExactly() throws {
        let cases: [(String, Double)] = [
            ("f90000", 0.0), ("f93c00", 1.0), ("f93e00", 1.5), ("f97bff", 65504.0),
            ("f90001", 5.960464477539063e-8), ("f90400", 0.00006103515625), ("f9c400", -4.0),
            ("f97c00", .infinity), ("f9fc00", -.infinity), ("f903ff", 0.00006097555160522461),
        ]
        for (hex, expected) in cases { XCTAssertEqual(try decode(hex), .double(expected), hex) }
        guard case .double(let negativeZero) = try decode("f98000") else { return XCTFail("not a double") }
        XCTAssertEqual(negativeZero, 0)
        XCTAssertEqual(negativeZero.sign, .minus)
        guard case .double(let nan) = try decode("f97e00") else { return XCTFail("not a double") }
        XCTAssertTrue(nan.isNaN)
    }

    func testSingleFloatsDecodeExactly() throws {
        XCTAssertEqual(try decode("fa47c35000"), .double(100000.0))
        XCTAssertEqual(try decode("fa7f7fffff"), .double(3.4028234663852886e+38))
        XCTAssertEqual(try decode("fa3dcccccd"), .double(Double(Float(0.1))))
    }

    func testSimpleValues() throws {
        try assertCanonical(.bool(false), "f4")
        try assertCanonical(.bool(true), "f5")
        try assertCanonical(.null, "f6")
        assertRefused("f7", containing: "undefined")
        assertRefused("f0", containing: "simple value 16")
        assertRefused("f8ff", containing: "simple value 255")
    }

    func testTextStrings() throws {
        try assertCanonical(.string(""), "60")
        try assertCanonical(.string("a"), "6161")
        try assertCanonical(.string("IETF"), "6449455446")
        try assertCanonical(.string("\"\\"), "62225c")
        try assertCanonical(.string("\u{00fc}"), "62c3bc")
        try assertCanonical(.string("\u{6c34}"), "63e6b0b4")
        try assertCanonical(.string("\u{10151}"), "64f0908591")
        try assertCanonical(.string("a\u{0}b"), "63610062")
        let long = String(repeating: "x", count: 300)
        try assertCanonical(.string(long), "79012c" + String(repeating: "78", count: 300))
    }

    func testByteStrings() throws {
        try assertCanonical(.binary([]), "40")
        try assertCanonical(.binary([1, 2, 3, 4]), "4401020304")
        try assertCanonical(.binary(Array(repeating: 0xAB, count: 24)), "5818" + String(repeating: "ab", count: 24))
    }

    func testArraysAndMapsKeepOrderAndNesting() throws {
        try assertCanonical(.array([]), "80")
        try assertCanonical(.map([]), "a0")
        try assertCanonical(.array([.integer(1), .integer(2), .integer(3)]), "83010203")
        try assertCanonical(
            .array([.integer(1), .array([.integer(2), .integer(3)]), .array([.integer(4), .integer(5)])]), "8301820203820405")
        try assertCanonical(
            .map([.init("a", .integer(1)), .init("b", .array([.integer(2), .integer(3)]))]), "a26161016162820203")
        try assertCanonical(
            .map([.init("z", .map([.init("y", .map([.init("x", .null)]))])), .init("a", .binary([0]))]),
            "a2617aa16179a16178f661614100")
        let twentyFive = WampValue.array((1...25).map { .integer(Int64($0)) })
        let elements = (1...25).map { $0 < 24 ? T.hex(ByteBuffer(bytes: [UInt8($0)])) : "18" + T.hex(ByteBuffer(bytes: [UInt8($0)])) }
        try assertCanonical(twentyFive, "9819" + elements.joined())
    }

    func testIndefiniteLengthInputIsAcceptedAndReencodedDefinite() throws {
        let cases: [(String, WampValue, String)] = [
            ("5f42010243030405ff", .binary([1, 2, 3, 4, 5]), "450102030405"),
            ("7f657374726561646d696e67ff", .string("streaming"), "6973747265616d696e67"),
            ("7fff", .string(""), "60"),
            ("9fff", .array([]), "80"),
            ("9f018202039f0405ffff", .array([.integer(1), .array([.integer(2), .integer(3)]), .array([.integer(4), .integer(5)])]), "8301820203820405"),
            ("83018202039f0405ff", .array([.integer(1), .array([.integer(2), .integer(3)]), .array([.integer(4), .integer(5)])]), "8301820203820405"),
            ("bf61610161629f0203ffff", .map([.init("a", .integer(1)), .init("b", .array([.integer(2), .integer(3)]))]), "a26161016162820203"),
            ("bf6346756ef563416d7421ff", .map([.init("Fun", .bool(true)), .init("Amt", .integer(-2))]), "a26346756ef563416d7421"),
            ("bf7f6161ff01ff", .map([.init("a", .integer(1))]), "a1616101"),
        ]
        for (input, value, reencoded) in cases {
            XCTAssertEqual(try decode(input), value, input)
            XCTAssertEqual(T.hex(try T.encode(value)), reencoded, input)
        }
    }

    func testTagsAreRefusedByNumberExceptSelfDescribe() throws {
        assertRefused("c074323031332d30332d32315432303a30343a30305a", containing: "tag 0")
        assertRefused("c11a514b67b0", containing: "tag 1")
        assertRefused("c249010000000000000000", containing: "tag 2")  // bignum 2^64
        assertRefused("d82076687474703a2f2f7777772e6578616d706c652e636f6d", containing: "tag 32")
        assertRefused("8201c100", containing: "tag 1")
        XCTAssertEqual(try decode("d9d9f783010203"), .array([.integer(1), .integer(2), .integer(3)]))
        XCTAssertEqual(try decode("a1d9d9f7616101"), .map([.init("a", .integer(1))]))
    }

    func testMapKeysMustBeText() {
        assertRefused("a10102", containing: "map keys must be text strings")
        assertRefused("a1410102", containing: "map keys must be text strings")
        assertRefused("bf0102ff", containing: "map keys must be text strings")
    }

    func testTrailingBytesAreRefused() {
        assertRefused("0101", containing: "after the end")
        assertRefused("80ff", containing: "after the end")
        assertRefused("", containing: "truncated")
    }

    func testDepthIsBoundedByWampValueMaxDepth() throws {
        // As JSONValueCodec counts: an item may sit inside at most maxDepth containers.
        let depth = WampValue.maxDepth
        XCTAssertNoThrow(try decode(String(repeating: "81", count: depth) + "80"))
        XCTAssertNoThrow(try decode(String(repeating: "81", count: depth) + "01"))
        assertRefused(String(repeating: "81", count: depth + 1) + "80", containing: "nesting deeper than \(depth)")
        assertRefused(String(repeating: "81", count: depth + 1) + "01", containing: "nesting deeper than \(depth)")
        assertRefused(String(repeating: "9f", count: depth + 2), containing: "nesting deeper")
        assertRefused(String(repeating: "a16161", count: depth + 1) + "a0", containing: "nesting deeper")

        var value = WampValue.array([])
        for _ in 0..<depth { value = .array([value]) }
        XCTAssertNoThrow(try T.encode(value))
        XCTAssertThrowsError(try T.encode(.array([value])))
    }
}
