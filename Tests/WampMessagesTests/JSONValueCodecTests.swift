import NIOCore
import XCTest
@testable import WampMessages

final class JSONValueCodecTests: XCTestCase {
    private func decode(_ text: String) throws -> WampValue {
        try JSONValueCodec.decode(ByteBuffer(string: text))
    }

    private func encode(_ value: WampValue) throws -> String {
        var buffer = ByteBuffer()
        try JSONValueCodec.encode(value, into: &buffer)
        return String(buffer: buffer)
    }

    func testScalarsKeepTheirKindAndSpelling() throws {
        XCTAssertEqual(try decode("[null,true,false,0,-1,9223372036854775807,-9223372036854775808,18446744073709551615]"), .array([
            .null, .bool(true), .bool(false), .integer(0), .integer(-1), .integer(.max), .integer(.min), .unsignedInteger(.max),
        ]))
        XCTAssertEqual(try decode("0.1"), .double(0.1))
        XCTAssertEqual(try encode(.double(0.1)), "0.1")
        XCTAssertEqual(try encode(.double(5)), "5.0")
        XCTAssertEqual(try encode(.array([.integer(.min), .unsignedInteger(.max)])), "[-9223372036854775808,18446744073709551615]")
        for text in ["0.1", "1e-07", "-2.5", "1e+300", "123456.789"] {
            XCTAssertEqual(try decode(try encode(try decode(text))), try decode(text), text)
        }
    }

    func testIntegersBeyond64BitsAndNonFiniteFloatsAreRefused() {
        XCTAssertThrowsError(try decode("18446744073709551616")) { error in
            XCTAssertTrue("\(error)".contains("does not fit in 64 bits"), "\(error)")
        }
        XCTAssertThrowsError(try decode("-9223372036854775809"))
        XCTAssertThrowsError(try decode("1e400"))
        XCTAssertThrowsError(try encode(.double(.nan)))
        XCTAssertThrowsError(try encode(.double(.infinity)))
    }

    func testBinaryUsesTheNulBase64Convention() throws {
        XCTAssertEqual(try decode("\"\\u0000AQL/\""), .binary([1, 2, 255]))
        XCTAssertEqual(try encode(.binary([1, 2, 255])), "\"\\u0000AQL/\"")
        XCTAssertEqual(try decode("\"\\u0000\""), .binary([]))
        // NUL followed by something that is not canonical base64 stays a string.
        XCTAssertEqual(try decode("\"\\u0000not base64!\""), .string("\u{0}not base64!"))
    }

    func testStringsUnicodeAndEscapes() throws {
        XCTAssertEqual(try decode("\"h\\u00e9llo \\ud83d\\ude00 \\\"q\\\" \\\\ \\n\""), .string("héllo 😀 \"q\" \\ \n"))
        let value = WampValue.string("héllo 😀 \"q\" \\ \n \u{1}")
        XCTAssertEqual(try decode(try encode(value)), value)
        XCTAssertThrowsError(try decode("\"\\ud83d\""), "an unpaired surrogate has no UTF-8 form")
        XCTAssertThrowsError(try decode("\"\u{1}\""))
    }

    func testContainersKeepOrderAndEmptiness() throws {
        let text = "{\"b\":[],\"a\":{},\"c\":[1,{\"d\":[null]}]}"
        let value = try decode(text)
        XCTAssertEqual(value, .map([
            .init("b", .array([])), .init("a", .map([])),
            .init("c", .array([.integer(1), .map([.init("d", .array([.null]))])])),
        ]))
        XCTAssertEqual(try encode(value), text)
    }

    func testMalformedAndTooDeepInputIsAnError() {
        for text in ["", "[", "[1,]", "{\"a\"}", "{1:2}", "tru", "\"abc", "[1] 2", "--1", "nul"] {
            XCTAssertThrowsError(try decode(text), text)
        }
        let deep = String(repeating: "[", count: WampValue.maxDepth + 2) + String(repeating: "]", count: WampValue.maxDepth + 2)
        XCTAssertThrowsError(try decode(deep)) { error in
            XCTAssertTrue("\(error)".contains("nested deeper"), "\(error)")
        }
    }
}
