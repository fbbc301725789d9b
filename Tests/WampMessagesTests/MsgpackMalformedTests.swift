import NIOCore
import XCTest
@testable import WampMessages

/// Hostile MessagePack: every malformed input is a typed error naming the problem, never a
/// crash, and no declared size is ever trusted before the bytes are there.
final class MsgpackMalformedTests: XCTestCase {
    private let bytes = MsgpackTestSupport.bytes

    private func decodeError(_ wire: ByteBuffer, limits: MessageDecoder.Limits = .default,
                             file: StaticString = #filePath, line: UInt = #line) -> WampDecodeError? {
        do {
            let message = try MsgpackMessageDecoder.decode(wire, limits: limits)
            XCTFail("decoded \(message.code.name) from \(MsgpackTestSupport.hex(wire))", file: file, line: line)
            return nil
        } catch {
            return error
        }
    }

    private func decodeError(hex: String, file: StaticString = #filePath, line: UInt = #line) -> WampDecodeError? {
        decodeError(bytes(hex), file: file, line: line)
    }

    /// The same message as JSON text, written as MessagePack (for field-level errors).
    private func decodeError(json: String, file: StaticString = #filePath, line: UInt = #line) throws -> WampDecodeError? {
        decodeError(try MsgpackTestSupport.msgpack(fromJSON: json), file: file, line: line)
    }

    private func valueError(hex: String, file: StaticString = #filePath, line: UInt = #line) -> PayloadConversionError? {
        do {
            let value = try MsgpackValueCodec.decode(bytes(hex))
            XCTFail("decoded \(value) from \(hex)", file: file, line: line)
            return nil
        } catch {
            return error
        }
    }

    func testTruncatedAtEveryByteOffsetOfEveryMessageType() throws {
        for (_, text) in MessageRoundTripTests.samples {
            let wire = try MsgpackTestSupport.msgpack(fromJSON: text)
            for length in 0..<wire.readableBytes {
                let prefix = wire.getSlice(at: wire.readerIndex, length: length)!
                XCTAssertEqual(decodeError(prefix)?.kind, .invalidMessagePack, "\(text) cut to \(length) bytes")
                if length > 0 { XCTAssertNotNil(valueError(hex: MsgpackTestSupport.hex(prefix)), "\(text) cut to \(length) bytes") }
            }
        }
    }

    func testTrailingBytesAfterTheMessage() {
        XCTAssertEqual(decodeError(hex: "93 11 01 02 c0")?.kind, .invalidMessagePack)
        XCTAssertNotNil(valueError(hex: "01 02"))
    }

    func testNotAnArrayOrEmpty() {
        XCTAssertEqual(decodeError(hex: "81 a161 01")?.kind, .notAnArray)
        XCTAssertEqual(decodeError(hex: "a5 68656c6c6f")?.kind, .notAnArray)
        XCTAssertEqual(decodeError(hex: "90")?.kind, .emptyArray)
        XCTAssertEqual(decodeError(hex: "dc0000")?.kind, .emptyArray)
    }

    func testMessageCodeMustBeAKnownInteger() {
        XCTAssertEqual(decodeError(hex: "93 a131 01 02")?.kind, .invalidMessageCode)
        XCTAssertEqual(decodeError(hex: "93 cb4031000000000000 01 02")?.kind, .invalidMessageCode)
        XCTAssertEqual(decodeError(hex: "93 c0 01 02")?.kind, .invalidMessageCode)
        XCTAssertEqual(decodeError(hex: "93 7f 01 02")?.kind, .unknownMessageCode)
        XCTAssertEqual(decodeError(hex: "93 ff 01 02")?.kind, .unknownMessageCode)
        XCTAssertEqual(decodeError(hex: "93 cfffffffffffffffff 01 02")?.kind, .unknownMessageCode)
        // Any integer format carries the code.
        XCTAssertNoThrow(try MsgpackMessageDecoder.decode(bytes("93 cd0011 01 02")))
        XCTAssertNoThrow(try MsgpackMessageDecoder.decode(bytes("93 d011 01 02")))
    }

    func testWrongArity() throws {
        XCTAssertEqual(try decodeError(json: #"[48,1,{}]"#)?.kind, .wrongArity)
        XCTAssertEqual(try decodeError(json: #"[48,1,{},"a",[],{},{}]"#)?.kind, .wrongArity)
        XCTAssertEqual(try decodeError(json: #"[1,"realm1"]"#)?.kind, .wrongArity)
        XCTAssertEqual(try decodeError(json: #"[17,1]"#)?.kind, .wrongArity)
    }

    func testWrongFieldTypes() throws {
        XCTAssertEqual(try decodeError(json: #"[48,"x",{},"com.a"]"#)?.kind, .wrongFieldType)
        XCTAssertEqual(try decodeError(json: #"[32,1,[],"t"]"#)?.kind, .wrongFieldType)
        XCTAssertEqual(try decodeError(json: #"[1,5,{}]"#)?.kind, .wrongFieldType)
        XCTAssertEqual(try decodeError(json: #"[48,1,{},"com.a",{}]"#)?.kind, .wrongFieldType)
        XCTAssertEqual(try decodeError(json: #"[48,1,{},"com.a",[],[]]"#)?.kind, .wrongFieldType)
        XCTAssertEqual(try decodeError(json: #"[8,999,1,{},"e"]"#)?.kind, .wrongFieldType)
        XCTAssertEqual(try decodeError(json: #"[48,true,{},"com.a"]"#)?.kind, .wrongFieldType)
        XCTAssertEqual(try decodeError(json: #"[48,1.0,{},"com.a"]"#)?.kind, .wrongFieldType)
        // A binary payload is not a list. (A binary URI reaches the URI rules as its JSON
        // spelling, a NUL-prefixed string, exactly as that string would from a JSON peer.)
        XCTAssertEqual(decodeError(hex: "95 30 01 80 a3616263 c400")?.kind, .wrongFieldType)
    }

    func testIDsOutsideOneToTwoToThe53() throws {
        XCTAssertEqual(try decodeError(json: #"[48,0,{},"com.a"]"#)?.kind, .idOutOfRange)
        XCTAssertEqual(try decodeError(json: #"[48,-5,{},"com.a"]"#)?.kind, .idOutOfRange)
        XCTAssertEqual(try decodeError(json: #"[48,9007199254740993,{},"com.a"]"#)?.kind, .idOutOfRange)
        // uint64 above Int64.max as an ID: out of range, not a type error.
        XCTAssertEqual(decodeError(hex: "94 30 cfffffffffffffffff 80 a3636f6d")?.kind, .idOutOfRange)
        XCTAssertNoThrow(try MsgpackMessageDecoder.decode(try MsgpackTestSupport.msgpack(fromJSON: #"[48,9007199254740992,{},"com.a"]"#)))
    }

    func testABigIntegerOptionIsNotAnInteger() throws {
        // CALL with Options {"timeout": uint64 max}: the option reads as absent-or-invalid, not as a wrapped value.
        guard case .call(let call) = try MsgpackMessageDecoder.decode(bytes("94 30 01 81 a774696d656f7574 cfffffffffffffffff a3636f6d")) else {
            return XCTFail()
        }
        XCTAssertNil(call.options.integer("timeout"))
        XCTAssertTrue(call.options.contains("timeout"))
    }

    func testInvalidUTF8InStrings() {
        for bad in ["c3", "c0af", "e080af", "eda080", "f4908080", "f8", "ff", "e282"] {
            let length = String(0xA0 | bad.count / 2, radix: 16)
            XCTAssertEqual(decodeError(hex: "94 20 01 80" + length + bad)?.kind, .invalidMessagePack, "topic \(bad)")
            XCTAssertEqual(decodeError(hex: "95 30 01 80 a161 91" + length + bad)?.kind, .invalidMessagePack, "payload \(bad)")
            XCTAssertNotNil(valueError(hex: length + bad), bad)
            XCTAssertNotNil(valueError(hex: "81" + length + bad + "01"), "key \(bad)")
        }
        XCTAssertEqual(try MsgpackValueCodec.decode(bytes("a4f09f9a80")), .string("🚀"))
    }

    func testNestingDeeperThanTheLimit() {
        let limit = MsgpackScanner.maximumDepth  // the JSON scanner's, 2048
        func call(payloadDepth: Int) -> ByteBuffer {
            // [48, 1, {}, "a", <payloadDepth nested arrays>]: the top array is one level.
            bytes("95 30 01 80 a161" + String(repeating: "91", count: payloadDepth - 1) + "90")
        }
        XCTAssertNoThrow(try MsgpackMessageDecoder.decode(call(payloadDepth: limit - 1)))
        XCTAssertEqual(decodeError(call(payloadDepth: limit))?.kind, .invalidMessagePack)
        XCTAssertTrue(decodeError(call(payloadDepth: 100_000))?.description.contains("nesting deeper") ?? false)
        // Maps nest the same way.
        let maps = bytes("95 30 01 80 a161 91" + String(repeating: "81a16b", count: 100_000) + "c0")
        XCTAssertEqual(decodeError(maps)?.kind, .invalidMessagePack)
        // Deep Details are bounded too (then built by the envelope builder only when within the limit).
        XCTAssertNoThrow(try MsgpackMessageDecoder.decode(bytes("94 20 01 81a16b" + String(repeating: "91", count: limit - 3) + "90 a161")))
        XCTAssertEqual(decodeError(bytes("94 20 01 81a16b" + String(repeating: "91", count: limit) + "90 a161"))?.kind, .invalidMessagePack)
    }

    func testHugeDeclaredLengthsFailAtTheHeader() {
        // Each header claims 4 GiB - 1 (items or bytes) with a handful of bytes behind it.
        for header in ["dbffffffff", "c6ffffffff", "ddffffffff", "dfffffffff", "daffff", "c5ffff", "dcffff", "deffff", "d9ff", "c4ff"] {
            let error = decodeError(hex: "95 30 01 80 a161" + header + "0102")
            XCTAssertEqual(error?.kind, .invalidMessagePack, header)
            XCTAssertTrue(error?.description.contains("bytes left") ?? false, "\(header): \(String(describing: error))")
            XCTAssertTrue(valueError(hex: header + "0102")?.reason.contains("bytes left") ?? false, header)
            // As the message array itself.
            XCTAssertEqual(decodeError(hex: header + "30")?.kind, .invalidMessagePack, header)
        }
        // A map of n entries needs 2n bytes at least: one byte per entry is not enough.
        XCTAssertNotNil(valueError(hex: "de0002 a0"))
    }

    func testNonStringMapKeys() {
        for key in ["01", "c0", "c3", "c401ff", "90", "80", "cb3ff0000000000000"] {
            XCTAssertEqual(decodeError(hex: "94 20 01 81" + key + "01 a161")?.kind, .invalidMessagePack, "details key \(key)")
            XCTAssertEqual(decodeError(hex: "96 30 01 80 a161 90 81" + key + "01")?.kind, .invalidMessagePack, "payload key \(key)")
            XCTAssertTrue(valueError(hex: "81" + key + "01")?.reason.contains("cannot be represented") ?? false, key)
        }
    }

    func testExtensionTypesAndTheReservedByte() {
        for item in ["d40100", "d5010000", "d601" + "00000000", "d701" + String(repeating: "00", count: 8),
                     "d801" + String(repeating: "00", count: 16), "c70101" + "00", "c8000101" + "00", "c900000001" + "01" + "00", "c1"] {
            XCTAssertEqual(decodeError(hex: "95 30 01 80 a161 91" + item)?.kind, .invalidMessagePack, item)
            XCTAssertEqual(decodeError(hex: "94 20 01 81 a161" + item + "a161")?.kind, .invalidMessagePack, item)
            XCTAssertNotNil(valueError(hex: item), item)
        }
    }

    func testNonFiniteFloatsAndNULKeysHaveNoJSONFormInTheEnvelope() throws {
        XCTAssertEqual(decodeError(hex: "94 20 01 81 a161 cb7ff8000000000000 a161")?.kind, .invalidMessagePack)
        XCTAssertEqual(decodeError(hex: "94 20 01 81 a161 ca7f800000 a161")?.kind, .invalidMessagePack)
        XCTAssertEqual(decodeError(hex: "94 20 01 81 a3610062 01 a161")?.kind, .invalidMessagePack)
        // In a payload they are MessagePack's own business and pass through.
        XCTAssertNoThrow(try MsgpackMessageDecoder.decode(bytes("96 30 01 80 a161 91cb7ff8000000000000 81a3610062 01")))
    }

    func testOptionsLargerThanTheLimit() throws {
        let wire = try MsgpackTestSupport.msgpack(fromJSON: #"[48,1,{"a":"0123456789"},"com.a",["payload is not counted"]]"#)
        XCTAssertEqual(decodeError(wire, limits: .init(maxOptionsBytes: 10))?.kind, .optionsTooLarge)
        XCTAssertNoThrow(try MsgpackMessageDecoder.decode(wire, limits: .init(maxOptionsBytes: 14)))
        XCTAssertEqual(decodeError(wire, limits: .init(maxOptionsBytes: 13))?.description,
                       "CALL Details/Options take 14 bytes; this router accepts at most 13")
    }

    func testErrorDescriptionsNameTheProblem() {
        XCTAssertEqual(decodeError(hex: "94 11 92 01 02")?.description, "message is not valid MessagePack: premature end of input at byte 5")
        XCTAssertEqual(decodeError(hex: "94 11 01 02 a2 61")?.description,
                       "message is not valid MessagePack: a string of 2 bytes is longer than the 1 bytes left at byte 4")
        XCTAssertEqual(decodeError(hex: "93 11 01")?.description,
                       "message is not valid MessagePack: an array of 3 items does not fit in the 2 bytes left at byte 0")
        XCTAssertEqual(decodeError(hex: "95 30 01 80 a161 dbffffffff")?.description,
                       "message is not valid MessagePack: a string of 4294967295 bytes is longer than the 0 bytes left at byte 6")
    }
}
