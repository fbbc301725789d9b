import NIOCore
import XCTest
@testable import WampMessages

/// Hostile and broken CBOR: every input gets a typed error (`.invalidCBOR` from the message
/// decoder, `PayloadConversionError` from the value codec), never a trap or an allocation
/// sized by what a peer declared.
final class CBORMalformedTests: XCTestCase {
    private typealias T = CBORTestSupport

    private func assertInvalid(_ hex: String, containing words: String? = nil, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try CBORMessageDecoder.decode(T.bytes(hex)), hex, file: file, line: line) { error in
            let error = error as? WampDecodeError
            XCTAssertEqual(error?.kind, .invalidCBOR, "\(hex): \(String(describing: error))", file: file, line: line)
            if let words {
                XCTAssertTrue(error?.description.contains(words) ?? false, "\(hex): \(String(describing: error))", file: file, line: line)
            }
        }
    }

    private func assertValueRefused(_ hex: String, containing words: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try CBORValueCodec.decode(T.bytes(hex)), hex, file: file, line: line) { error in
            let reason = (error as? PayloadConversionError)?.reason ?? ""
            XCTAssertTrue(reason.contains(words), "\(hex): \(reason)", file: file, line: line)
        }
    }

    func testTruncatedAtEveryOffset() throws {
        let message = try T.cborMessage(json:
            #"[8,48,7814135,{"a":[1,-300,70000,{"b":null}],"c":1.5},"com.e",["x\u00e9",4294967296,true],{"k":[]}]"#)
        let bytes = Array(message.readableBytesView)
        XCTAssertNoThrow(try CBORMessageDecoder.decode(message))
        for length in 0..<bytes.count {
            let prefix = ByteBuffer(bytes: bytes[..<length])
            XCTAssertThrowsError(try CBORMessageDecoder.decode(prefix), "\(length) bytes") { error in
                XCTAssertEqual((error as? WampDecodeError)?.kind, .invalidCBOR, "\(length) bytes: \(error)")
            }
            XCTAssertThrowsError(try CBORValueCodec.decode(prefix), "\(length) bytes")
        }
        let indefinite = T.bytes("9f 10 01 bf 6161 01 ff 7f 62636f 636d2e74 ff 9f 5f 4101 ff ff bf ff ff")
        XCTAssertNoThrow(try CBORMessageDecoder.decode(indefinite))
        let indefiniteBytes = Array(indefinite.readableBytesView)
        for length in 0..<indefiniteBytes.count {
            assertInvalid(T.hex(ByteBuffer(bytes: indefiniteBytes[..<length])))
            XCTAssertThrowsError(try CBORValueCodec.decode(ByteBuffer(bytes: indefiniteBytes[..<length])))
        }
    }

    func testReservedAdditionalInformation() {
        for major in 0..<8 {
            for info in 28...30 {
                let initial = T.hex(ByteBuffer(bytes: [UInt8(major << 5 | info)]))
                assertInvalid("85 10 01 a0 6174 81" + initial, containing: "reserved additional information \(info)")
                assertValueRefused(initial, containing: "reserved additional information \(info)")
            }
        }
    }

    func testIndefiniteLengthIsRefusedWhereRFC8949ForbidsIt() {
        for initial in ["1f", "3f", "df"] {
            assertInvalid("83 11 01 " + initial, containing: "cannot have an indefinite length")
            assertValueRefused(initial, containing: "cannot have an indefinite length")
        }
    }

    func testInvalidUTF8() {
        let bad = [
            "62c328",      // bad continuation
            "62c0af",      // overlong
            "63eda080",    // encoded surrogate
            "64f4908080",  // above U+10FFFF
            "61ff",
            "62e282",      // cut short
        ]
        for text in bad {
            assertInvalid("84 10 01 a0 " + text, containing: "invalid UTF-8")
            assertInvalid("85 10 01 a0 6174 81" + text, containing: "invalid UTF-8")  // also inside the payload
            assertValueRefused(text, containing: "invalid UTF-8")
        }
        // A character split across two chunks of an indefinite string is invalid too.
        assertValueRefused("7f61c361bcff", containing: "invalid UTF-8")
        assertInvalid("84 10 01 a0 7f61c361bcff", containing: "invalid UTF-8")
    }

    func testIndefiniteStringWithAWrongChunk() {
        for string in ["7f4161ff", "5f6161ff", "5f5f4101ffff", "7f01ff", "5f80ff"] {
            assertInvalid("85 10 01 a0 6174 81" + string, containing: "chunk")
            assertValueRefused(string, containing: "chunk")
        }
    }

    func testStrayAndMisplacedBreaks() {
        assertInvalid("ff", containing: "break outside")
        assertInvalid("83 11 01 02 ff", containing: "after the end")
        assertInvalid("83 11 01 ff", containing: "break outside")
        assertInvalid("9f 11 01 02 ff ff", containing: "after the end")
        assertInvalid("85 10 01 a0 6174 81 ff", containing: "break outside")
        assertInvalid("85 10 01 a0 6174 bf 6161 ff", containing: "after a key")
        assertInvalid("85 10 01 a0 6174 9f c1 ff", containing: "tag must be followed")
        assertValueRefused("ff", containing: "break outside")
        assertValueRefused("8201ff", containing: "break outside")
        assertValueRefused("bf6161ff", containing: "no value")
        assertValueRefused("9fc1ff", containing: "tag 1")
    }

    func testTwoByteSimpleValuesBelow32AreNotWellFormed() {
        assertInvalid("85 10 01 a0 6174 81 f800", containing: "one-byte head")
        assertValueRefused("f818", containing: "one-byte head")
    }

    func testDeepNestingIsBounded() {
        let limit = CBORScanner.maximumDepth
        // Top-level array plus limit-1 nested arrays in the payload: at the limit.
        XCTAssertNoThrow(try CBORMessageDecoder.decode(T.bytes("85 10 01 a0 6174 " + String(repeating: "81", count: limit - 2) + "80")))
        assertInvalid("85 10 01 a0 6174 " + String(repeating: "81", count: limit - 1) + "80", containing: "nesting deeper than \(limit)")
        assertInvalid("85 10 01 a0 6174 " + String(repeating: "9f", count: limit), containing: "nesting deeper")
        assertInvalid("84 10 01 " + String(repeating: "a1 6161 ", count: limit) + "a0 6174", containing: "nesting deeper")
        // Tags nest without containers; a long chain is only bounded by the bytes it takes.
        assertInvalid("85 10 01 a0 6174 " + String(repeating: "c1", count: 100_000), containing: "truncated")
        // Self-describe tags are skipped in a loop: a long chain costs no stack.
        var selfDescribed = ByteBuffer()
        for _ in 0..<200_000 { selfDescribed.writeBytes([0xD9, 0xD9, 0xF7]) }
        var value = selfDescribed
        value.writeInteger(UInt8(0x80))
        XCTAssertNoThrow(try CBORValueCodec.decode(value))
        var hello = T.bytes("83 01 6172 a1 6161")
        hello.writeImmutableBuffer(selfDescribed)
        hello.writeInteger(UInt8(0x01))
        XCTAssertThrowsError(try CBORMessageDecoder.decode(hello, limits: MessageDecoder.Limits(maxOptionsBytes: 1024))) { error in
            XCTAssertEqual((error as? WampDecodeError)?.kind, .optionsTooLarge)
        }
        XCTAssertNoThrow(try CBORMessageDecoder.decode(hello, limits: MessageDecoder.Limits(maxOptionsBytes: 1 << 30)))
    }

    func testHugeDeclaredLengthsAreRefusedBeforeAnyAllocation() {
        for initial in ["5b", "7b", "9b", "bb"] {
            let head = initial + "ffffffffffffffff"
            assertInvalid("85 10 01 a0 6174 81 " + head, containing: "declares")
            assertInvalid("84 10 01 " + head, containing: "declares")
            assertInvalid(head, containing: "declares")
            assertValueRefused(head, containing: "declares")
            // One byte short of what is declared, with a plausible size.
            let near = initial + "00000000000000ff" + String(repeating: "00", count: 0x7f)
            assertInvalid("84 10 01 " + near)
            assertValueRefused(near, containing: "declares")
        }
        // Inside an indefinite string, a chunk's length is checked the same way.
        assertInvalid("85 10 01 a0 6174 81 5f 5bffffffffffffffff", containing: "declares")
        assertValueRefused("7f 7bffffffffffffffff", containing: "declares")
        // A map declares pairs: half the remaining bytes is the most that can fit.
        assertValueRefused("a2 6161 01", containing: "declares")
    }

    func testTrailingBytesAfterTheMessage() {
        assertInvalid("83 11 01 02 00", containing: "after the end")
        assertInvalid("83 11 01 02 d9d9f7", containing: "after the end")
    }

    func testEveryOneAndTwoByteInputGetsAnAnswer() {
        for first in 0...255 {
            _ = try? CBORMessageDecoder.decode(ByteBuffer(bytes: [UInt8(first)]))
            _ = try? CBORValueCodec.decode(ByteBuffer(bytes: [UInt8(first)]))
            for second in 0...255 {
                let input = ByteBuffer(bytes: [0x81, UInt8(first), UInt8(second)])
                if let message = try? CBORMessageDecoder.decode(input) {
                    XCTFail("one-element message decoded: \(message.code)")
                }
                _ = try? CBORValueCodec.decode(ByteBuffer(bytes: [UInt8(first), UInt8(second)]))
            }
        }
    }
}
