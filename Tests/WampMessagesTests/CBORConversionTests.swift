import NIOCore
import XCTest
@testable import WampMessages

/// CBOR payloads converted to and from JSON through `PayloadConverter` (the JSON side is
/// `JSONValueCodec`), and messages forwarded between a JSON and a CBOR peer.
final class CBORConversionTests: XCTestCase {
    private typealias T = CBORTestSupport

    private func toJSON(_ hex: String) throws -> String {
        String(buffer: try PayloadConverter.convert(T.bytes(hex), from: .cbor, to: .json))
    }

    private func toCBOR(_ json: String) throws -> String {
        T.hex(try PayloadConverter.convert(ByteBuffer(string: json), from: .json, to: .cbor))
    }

    func testJSONValuesBecomeTheSameCBORValues() throws {
        XCTAssertEqual(try toCBOR(#"[1,-1,"a",true,false,null]"#), "8601206161f5f4f6")
        XCTAssertEqual(try toCBOR(#"{"a":{"b":[]},"c":{}}"#), "a26161a1616280" + "6163a0")
        XCTAssertEqual(try toCBOR("[9223372036854775807,-9223372036854775808]"), "821b7fffffffffffffff3b7fffffffffffffff")
        XCTAssertEqual(try toCBOR("[0.1]"), "81fb3fb999999999999a")
        XCTAssertEqual(try toCBOR(#"["\u00e9\ud83d\ude00"]"#), "8166c3a9f09f9880")
    }

    func testCBORValuesComeBackFromJSONUnchanged() throws {
        for hex in ["8601206161f5f4f6", "a26161a16162806163a0", "821b7fffffffffffffff3b7fffffffffffffff",
                    "81fb3fb999999999999a", "8166c3a9f09f9880", "80", "a0"] {
            XCTAssertEqual(try toCBOR(try toJSON(hex)), hex)
        }
    }

    func testHalfAndSingleFloatsConvertToTheirExactValue() throws {
        XCTAssertEqual(T.value(json: try toJSON("82f93e00fa47c35000")), .array([.double(1.5), .double(100000)]))
    }

    func testIndefiniteLengthCBORConverts() throws {
        XCTAssertEqual(T.value(json: try toJSON("9f7f6161626263ffbf6161f5ffff")),
                       .array([.string("abc"), .map([.init("a", .bool(true))])]))
    }

    func testByteStringsBecomeBinaryTextAndBack() throws {
        let json = try toJSON("814401 02 03ff")
        XCTAssertEqual(T.value(json: json), .array([.string("\u{0}AQID/w==")]))
        XCTAssertEqual(try toCBOR(json), "814401" + "0203ff")
    }

    func testWhatJSONCannotHoldIsAConversionError() {
        XCTAssertThrowsError(try toJSON("81c11a514b67b0"))  // tag 1
        XCTAssertThrowsError(try toJSON("a10102"))  // integer key
        XCTAssertThrowsError(try toJSON("81f7"))  // undefined
        XCTAssertThrowsError(try toJSON("813bffffffffffffffff"))  // -2^64
    }

    func testAJSONPublishForwardedToACBORPeer() throws {
        let json = #"[16,1,{"acknowledge":true},"com.t",["x",1.5,{"k":[1,2]}],{"a":null}]"#
        let message = try MessageDecoder.decode(ByteBuffer(string: json))
        let encoded = try WampSerialization.cbor.encode(message)
        XCTAssertEqual(encoded.serialization, .cbor)
        XCTAssertEqual(T.hex(try T.cborMessage(json: json)), T.hex(encoded.bytes))
        guard case .publish(let publish) = try CBORMessageDecoder.decode(encoded.bytes) else { return XCTFail("not a PUBLISH") }
        XCTAssertEqual(publish.payload.arguments?.parsed()?.jsonText, #"["x",1.5,{"k":[1,2]}]"#)
    }

    func testACBORCallForwardedToAJSONPeer() throws {
        let cbor = try T.cborMessage(json: #"[48,7,{},"com.p",[1,"two"],{"three":3.5}]"#)
        let message = try CBORMessageDecoder.decode(cbor)
        let encoded = try WampSerialization.json.encode(message)
        XCTAssertEqual(encoded.serialization, .json)
        let twin = try MessageDecoder.decode(encoded.bytes)
        guard case .call(let call) = twin else { return XCTFail("not a CALL") }
        XCTAssertEqual(call.payload.arguments.map { T.value(json: $0.description) }, .array([.integer(1), .string("two")]))
        XCTAssertEqual(call.payload.argumentsKw.map { T.value(json: $0.description) }, .map([.init("three", .double(3.5))]))
    }
}
