import NIOCore
import XCTest
@testable import WampMessages

/// MessagePack <-> JSON through `PayloadConverter`, for each value class the spec names:
/// lossless both ways, or an error, never a changed value.
final class MsgpackConversionTests: XCTestCase {
    private let bytes = MsgpackTestSupport.bytes
    private let hex = MsgpackTestSupport.hex

    /// (MessagePack of a list, JSON text of the same list, the list as a value).
    private static let classes: [(String, String, WampValue)] = [
        ("91 00", "[0]", one(.integer(0))),
        ("91 cc80", "[128]", one(.integer(128))),
        ("91 cd0100", "[256]", one(.integer(256))),
        ("91 ce00010000", "[65536]", one(.integer(65536))),
        ("91 cf0000000100000000", "[4294967296]", one(.integer(4_294_967_296))),
        ("91 cf7fffffffffffffff", "[9223372036854775807]", one(.integer(Int64.max))),
        ("91 cfffffffffffffffff", "[18446744073709551615]", one(.unsignedInteger(UInt64.max))),
        ("91 d38000000000000000", "[-9223372036854775808]", one(.integer(Int64.min))),
        ("91 e0", "[-32]", one(.integer(-32))),
        ("91 cb3fb999999999999a", "[0.1]", one(.double(0.1))),
        ("91 cbc00921fb54442d18", "[-3.141592653589793]", one(.double(-3.141592653589793))),
        ("91 c0", "[null]", one(.null)),
        ("92 c3 c2", "[true,false]", WampValue.array([.bool(true), .bool(false)])),
        ("91 aee697a5e69cace8aa9e20f09f9a80", #"["日本語 🚀"]"#, one(.string("日本語 🚀"))),
        ("91 a3c3a90a", #"["é\n"]"#, one(.string("é\n"))),
        ("91 c403010203", #"["\u0000AQID"]"#, one(.binary([1, 2, 3]))),
        ("91 c400", #"["\u0000"]"#, one(.binary([]))),
        ("91 90", "[[]]", one(.array([]))),
        ("91 80", "[{}]", one(.map([]))),
        ("91 82 a16181a16292 01 80 a16390", #"[{"a":{"b":[1,{}]},"c":[]}]"#,
         one(.map([.init("a", .map([.init("b", .array([.integer(1), .map([])]))])), .init("c", .array([]))]))),
    ]

    private static func one(_ value: WampValue) -> WampValue { .array([value]) }

    func testEachValueClassConvertsLosslesslyBothWays() throws {
        for (msgpackHex, json, expected) in Self.classes {
            let msgpack = bytes(msgpackHex)
            let value = try PayloadConverter.decodeValue(msgpack, as: .msgpack)
            XCTAssertEqual(value, expected, json)
            // MessagePack -> JSON: the JSON means the same value, and converts back to the same bytes.
            let asJSON = try PayloadConverter.convert(msgpack, from: .msgpack, to: .json)
            XCTAssertEqual(try PayloadConverter.decodeValue(asJSON, as: .json), expected, "\(json) via \(String(buffer: asJSON))")
            XCTAssertEqual(hex(try PayloadConverter.convert(asJSON, from: .json, to: .msgpack)), hex(msgpack), json)
            // JSON -> MessagePack: the smallest-format bytes.
            XCTAssertEqual(hex(try PayloadConverter.convert(ByteBuffer(string: json), from: .json, to: .msgpack)), hex(msgpack), json)
        }
    }

    func testAMessagePackPayloadReachesAJSONReceiverWithTheSameMeaning() throws {
        // An EVENT published over MessagePack, sent to a JSON subscriber.
        let wire = bytes("96 24 01 02 80 93 cfffffffffffffffff cb3fb999999999999a c40101 81 a16b 80")
        let event = try MsgpackMessageDecoder.decode(wire)
        let asJSON = try WampSerialization.json.encode(event)
        let again = try MessageDecoder.decode(asJSON.bytes)
        XCTAssertEqual(hex(try MsgpackMessageEncoder.encode(again)), hex(wire))
    }

    func testValuesWithoutAJSONFormAreErrors() {
        // NaN and infinity have no JSON spelling.
        XCTAssertThrowsError(try PayloadConverter.convert(bytes("91 cb7ff8000000000000"), from: .msgpack, to: .json))
        XCTAssertThrowsError(try PayloadConverter.convert(bytes("91 cb7ff0000000000000"), from: .msgpack, to: .json))
    }

    func testJSONIntegersBeyondMessagePackAreErrors() {
        XCTAssertThrowsError(try PayloadConverter.convert(ByteBuffer(string: "[18446744073709551616]"), from: .json, to: .msgpack))
        XCTAssertThrowsError(try PayloadConverter.convert(ByteBuffer(string: "[-9223372036854775809]"), from: .json, to: .msgpack))
    }
}
