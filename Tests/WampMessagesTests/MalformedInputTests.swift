import NIOCore
import XCTest
@testable import WampMessages

/// Every kind of bad input decodes to a typed error with a readable description, never a trap.
final class MalformedInputTests: XCTestCase {
    private func decodeError(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> WampDecodeError? {
        do {
            let message = try MessageDecoder.decode(ByteBuffer(string: text))
            XCTFail("decoded \(message.code.name) from \(text)", file: file, line: line)
            return nil
        } catch {
            XCTAssertFalse(error.description.isEmpty, file: file, line: line)
            return error
        }
    }

    func testTextThatIsNotJSON() {
        XCTAssertEqual(decodeError("hello")?.kind, .invalidJSON)
        XCTAssertEqual(decodeError("")?.kind, .invalidJSON)
        XCTAssertEqual(decodeError("[1,\"realm1\",{}")?.kind, .invalidJSON)
        XCTAssertEqual(decodeError("[1] trailing")?.kind, .invalidJSON)
        XCTAssertEqual(decodeError("[NaN]")?.kind, .invalidJSON)
    }

    func testInvalidUTF8IsNotJSON() {
        var buffer = ByteBuffer(string: "[1,\"")
        buffer.writeBytes([0xC3, 0x28])
        buffer.writeString("\",{}]")
        XCTAssertThrowsError(try MessageDecoder.decode(buffer)) { error in
            XCTAssertEqual((error as? WampDecodeError)?.kind, .invalidJSON)
        }
    }

    func testJSONThatIsNotAnArray() {
        XCTAssertEqual(decodeError("{}")?.kind, .notAnArray)
        XCTAssertEqual(decodeError("42")?.kind, .notAnArray)
        XCTAssertEqual(decodeError("\"x\"")?.kind, .notAnArray)
        XCTAssertEqual(decodeError("null")?.kind, .notAnArray)
    }

    func testEmptyArray() {
        XCTAssertEqual(decodeError("[]")?.kind, .emptyArray)
    }

    func testMessageCodeThatIsNotAnInteger() {
        XCTAssertEqual(decodeError(#"["1","realm1",{}]"#)?.kind, .invalidMessageCode)
        XCTAssertEqual(decodeError(#"[1.5,"realm1",{}]"#)?.kind, .invalidMessageCode)
    }

    func testUnknownMessageCode() {
        XCTAssertEqual(decodeError("[999]")?.kind, .unknownMessageCode)
        XCTAssertEqual(decodeError("[7,1]")?.kind, .unknownMessageCode)
        XCTAssertEqual(decodeError("[-1]")?.kind, .unknownMessageCode)
    }

    func testWrongArity() {
        XCTAssertEqual(decodeError(#"[48,1,{}]"#)?.kind, .wrongArity)
        XCTAssertEqual(decodeError(#"[48,1,{},"a",[],{},{}]"#)?.kind, .wrongArity)
        XCTAssertEqual(decodeError(#"[1,"realm1"]"#)?.kind, .wrongArity)
        XCTAssertEqual(decodeError(#"[32,1,{},"t",[]]"#)?.kind, .wrongArity)
        XCTAssertEqual(decodeError(#"[17,1]"#)?.kind, .wrongArity)
    }

    func testWrongFieldTypes() {
        XCTAssertEqual(decodeError(#"[48,"x",{},"com.a"]"#)?.kind, .wrongFieldType)
        XCTAssertEqual(decodeError(#"[32,1,[],"t"]"#)?.kind, .wrongFieldType)
        XCTAssertEqual(decodeError(#"[1,5,{}]"#)?.kind, .wrongFieldType)
        XCTAssertEqual(decodeError(#"[48,1,{},"com.a",{}]"#)?.kind, .wrongFieldType)
        XCTAssertEqual(decodeError(#"[48,1,{},"com.a",[],[]]"#)?.kind, .wrongFieldType)
        XCTAssertEqual(decodeError(#"[8,999,1,{},"e"]"#)?.kind, .wrongFieldType)
        XCTAssertEqual(decodeError(#"[48,true,{},"com.a"]"#)?.kind, .wrongFieldType)
        XCTAssertEqual(decodeError(#"[48,1.0,{},"com.a"]"#)?.kind, .wrongFieldType)
    }

    func testIDsOutsideOneToTwoToThe53() {
        XCTAssertEqual(decodeError(#"[48,0,{},"com.a"]"#)?.kind, .idOutOfRange)
        XCTAssertEqual(decodeError(#"[48,-5,{},"com.a"]"#)?.kind, .idOutOfRange)
        XCTAssertEqual(decodeError(#"[48,9007199254740993,{},"com.a"]"#)?.kind, .idOutOfRange)
        XCTAssertNoThrow(try MessageDecoder.decode(ByteBuffer(string: #"[48,9007199254740992,{},"com.a"]"#)))
    }

    func testBigIntegerInPayloadStillDecodesButNotInTheEnvelope() throws {
        XCTAssertNoThrow(try MessageDecoder.decode(ByteBuffer(string: #"[48,1,{},"com.a",[18446744073709551616]]"#)))
        XCTAssertEqual(decodeError(#"[48,18446744073709551616,{},"com.a",[18446744073709551616]]"#)?.kind, .idOutOfRange)
        XCTAssertEqual(decodeError(#"[48,1.5,{},"com.a",[18446744073709551616]]"#)?.kind, .wrongFieldType)
    }

    func testDeeplyNestedInputDoesNotCrash() {
        let text = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        XCTAssertNotNil(decodeError(text))
    }

    func testErrorDescriptionsNameTheProblem() {
        XCTAssertEqual(decodeError(#"[48,1,{}]"#)?.description, "CALL must have 4 to 6 elements, got 3")
        XCTAssertEqual(decodeError(#"[48,"x",{},"com.a"]"#)?.description, "CALL.Request must be an integer")
    }
}
