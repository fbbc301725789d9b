import CJansson
import NIOCore
import XCTest
@testable import WampMessages

/// `JSONTextScanner` must accept exactly what jansson accepts with the decoder's flags (plus
/// integers beyond 64 bits, which jansson only accepts when every number is read as a real), so
/// that replacing jansson for payloads changes no verdict. Each input here is judged by both.
final class JSONTextScannerTests: XCTestCase {
    /// jansson's verdict: the decoder's flags, and on a 64-bit overflow once more with every
    /// number read as a real (what the decoder did before the scanner existed).
    private func janssonAccepts(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBufferPointer { buffer in
            var error = json_error_t()
            let base = UnsafeRawPointer(buffer.baseAddress ?? UnsafePointer(bitPattern: 1)!).assumingMemoryBound(to: CChar.self)
            for flags in [JanssonFlags.decode, JanssonFlags.decode | Int(JSON_DECODE_INT_AS_REAL)] {
                if let parsed = json_loadb(base, buffer.count, flags, &error) {
                    cjansson_decref(parsed)
                    return true
                }
                guard json_error_code(&error) == json_error_numeric_overflow else { return false }
            }
            return false
        }
    }

    private func scannerAccepts(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { JSONTextScanner.isValid($0) }
    }

    /// jansson's verdict, but for its one lexer quirk: a raw NUL byte right after a number or a
    /// literal is swallowed (its unget of that byte reads as "buffer empty"), so `[1\0]` passes.
    /// RFC 8259 allows no raw NUL outside strings, and jansson rejects one anywhere else, so the
    /// scanner rejects every raw NUL (`testJanssonSwallowsANulAfterANumberTheScannerDoesNot`).
    private func expectedVerdict(_ bytes: [UInt8]) -> Bool {
        janssonAccepts(bytes) && !bytes.contains(0)
    }

    private func assertSameVerdict(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) {
        let jansson = expectedVerdict(bytes), scanner = scannerAccepts(bytes)
        if jansson != scanner {
            let shown = bytes.count <= 200 ? String(decoding: bytes, as: UTF8.self).debugDescription : "\(bytes.count) bytes"
            XCTFail("jansson \(jansson ? "accepts" : "rejects") but the scanner \(scanner ? "accepts" : "rejects") \(shown) \(bytes.prefix(40))",
                    file: file, line: line)
        }
    }

    static let validCorpus: [String] = [
        "[]", "{}", "0", "-0", "1", "-1", "0.5", "-0.0", "1e5", "1E5", "1e+5", "1e-5", "1.25E-07", "123.456e78",
        "9223372036854775807", "-9223372036854775808", "9223372036854775808", "-9223372036854775809",
        "18446744073709551616123", String(repeating: "9", count: 308), "1e308", "1.7976931348623157e308",
        "-1.7976931348623157e308", "1e-400", "0.0000000000000000000001e330", "true", "false", "null",
        #""""#, #""a""#, #""\"\\\/\b\f\n\r\t""#, #""\u0000""#, #""\u00e9\u00E9""#, #""\ud83d\ude00""#, #""\uDBFF\uDFFF""#,
        #""\uD800\uDC00""#, #""\uffff""#, "\"é日本🚀\u{7F}\"", " [ 1 , 2 ] ", "\t\n\r[]\r\n\t",
        #"{"a":1,"a":2}"#, #"{"":0}"#, #"{"k\u0001":[{"x":null}]}"#, #"[{"a":[1,[2,[3,{"b":{}}]]]}]"#,
        #"[48,1,{},"com.a",[{},{},[]],{"k":"v"}]"#, #"{"\ud83d\ude00":1}"#,
    ]

    static let invalidCorpus: [String] = [
        "", " ", "[", "]", "{", "}", "[1,]", "[,1]", "[1 2]", "{\"a\"}", "{\"a\":}", "{a:1}", "{\"a\":1,}", "{,}",
        "{\"a\":1 \"b\":2}", "{\"a\" 1}", "[1]]", "[1] x", "01", "-01", "00", "-", "1.", ".5", "+1", "1e", "1e+", "1.e5",
        "0x10", "NaN", "Infinity", "-Infinity", "tru", "truex", "nul", "nulll", "True", "1e400", "-1e400",
        "1.7976931348623159e308", String(repeating: "9", count: 309), "1" + String(repeating: "0", count: 400),
        #""\x""#, #""\u12""#, #""\u12G4""#, #""\ud800""#, #""\ud800\u0041""#, #""\udc00""#, #""\ud800\n""#,
        #""\ud800\udbff""#, #""\uDFFF\uD800""#, "\"a\tb\"", "\"a\nb\"", "\"\u{1F}\"", "\"abc", "\"\\",
        #"{"\u0000":1}"#, #"[{"a\u0000b":1}]"#, "\u{FEFF}[]", "'a'", "[1,,2]", "//\n1", "/* */1", "[1];",
    ]

    func testCorpusVerdictsMatchJansson() {
        for text in Self.validCorpus {
            XCTAssertTrue(janssonAccepts(Array(text.utf8)), "jansson should accept \(text.prefix(60))")
            assertSameVerdict(Array(text.utf8))
        }
        for text in Self.invalidCorpus {
            XCTAssertFalse(janssonAccepts(Array(text.utf8)), "jansson should reject \(text.prefix(60))")
            assertSameVerdict(Array(text.utf8))
        }
    }

    func testInvalidAndValidUTF8MatchJansson() {
        let sequences: [[UInt8]] = [
            [0xC3, 0xA9], [0xE2, 0x82, 0xAC], [0xF0, 0x9F, 0x9A, 0x80], [0xF4, 0x8F, 0xBF, 0xBF], [0xEF, 0xBF, 0xBF],
            [0xC0, 0x80], [0xC1, 0xBF], [0xE0, 0x80, 0x80], [0xE0, 0x9F, 0xBF], [0xED, 0xA0, 0x80], [0xED, 0xBF, 0xBF],
            [0xF0, 0x80, 0x80, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80], [0xFF], [0xFE], [0x80],
            [0xBF], [0xE2, 0x82], [0xC3], [0xF0, 0x9F, 0x9A], [0xC3, 0x28], [0xE2, 0x28, 0xA1], [0x00], [0x7F],
        ]
        for sequence in sequences {
            assertSameVerdict([UInt8(ascii: "\"")] + sequence + [UInt8(ascii: "\"")])
            assertSameVerdict(Array("[\"a".utf8) + sequence)
            assertSameVerdict(Array("[".utf8) + sequence + Array("]".utf8))
            assertSameVerdict(Array("{\"".utf8) + sequence + Array("\":1}".utf8))
        }
    }

    func testNestingDepthLimitMatchesJansson() {
        for depth in [2046, 2047, 2048, 2049, 2050] {
            assertSameVerdict(Array((String(repeating: "[", count: depth) + String(repeating: "]", count: depth)).utf8))
            assertSameVerdict(Array((String(repeating: "[", count: depth) + "1" + String(repeating: "]", count: depth)).utf8))
            assertSameVerdict(Array((String(repeating: "{\"a\":", count: depth) + "{}" + String(repeating: "}", count: depth)).utf8))
            assertSameVerdict(Array((String(repeating: "[{\"a\":", count: depth / 2) + "0" + String(repeating: "}]", count: depth / 2)).utf8))
        }
        XCTAssertTrue(scannerAccepts(Array((String(repeating: "[", count: 2048) + String(repeating: "]", count: 2048)).utf8)))
        XCTAssertFalse(scannerAccepts(Array((String(repeating: "[", count: 2049) + String(repeating: "]", count: 2049)).utf8)))
    }

    func testEveryEscapeAfterABackslashMatchesJansson() {
        for byte in UInt8(0)...UInt8(0x7F) {
            assertSameVerdict(Array("\"\\".utf8) + [byte] + Array("\"".utf8))
            assertSameVerdict(Array("[\"\\u00".utf8) + [byte, UInt8(ascii: "0")] + Array("\"]".utf8))
        }
        for unit in stride(from: 0xD7F0, through: 0xE010, by: 0x10) {
            let high = String(unit, radix: 16)
            assertSameVerdict(Array("\"\\u\(high)\"".utf8))
            for low in ["dc00", "dfff", "d800", "0041", "e000"] {
                assertSameVerdict(Array("\"\\u\(high)\\u\(low)\"".utf8))
                assertSameVerdict(Array("{\"\\u\(high)\\u\(low)\":0}".utf8))
            }
        }
    }

    func testNumbersNearTheDoubleOverflowMatchJansson() {
        let numbers = [
            "1.7976931348623157e308", "1.79769313486231580e308", "1.797693134862315708e308", "1.7976931348623158e308",
            "1.797693134862315807e308", "17976931348623157e292", "0.17976931348623157e309", "0.0001e312", "0.0001e313",
            "179769313486231570" + String(repeating: "0", count: 291), "179769313486231580" + String(repeating: "0", count: 291),
            "1e309", "10e308", "0e99999", "0.0e400", "1e-99999", "-0e400", "1e0000000000000000000308", "1e0000000000000000000309",
        ]
        for number in numbers {
            assertSameVerdict(Array(number.utf8))
            assertSameVerdict(Array("[-\(number)]".utf8))
        }
    }

    /// Random edits of valid texts, with a fixed seed: bytes are inserted, deleted and replaced
    /// from an alphabet of the characters that matter to the grammar.
    func testGeneratedMutationsMatchJansson() {
        var random = SplitMix(seed: 0x5EED)
        let alphabet = Array("[]{}\",:\\/u0123456789aAbBdDeEfF.+- \t\n\rtrulsn".utf8) + [0x00, 0x1F, 0x7F, 0x80, 0xBF, 0xC3, 0xED, 0xF0, 0xF4, 0xFF]
        let seeds = Self.validCorpus.map { Array($0.utf8) } + (0..<40).map { _ in Array(Self.randomValue(&random, depth: 0).utf8) }
        var rejected = 0
        for _ in 0..<30_000 {
            var bytes = seeds[Int(random.next() % UInt64(seeds.count))]
            for _ in 0...Int(random.next() % 3) {
                let position = bytes.isEmpty ? 0 : Int(random.next() % UInt64(bytes.count + 1))
                let byte = alphabet[Int(random.next() % UInt64(alphabet.count))]
                switch random.next() % 3 {
                case 0: bytes.insert(byte, at: position)
                case 1 where position < bytes.count: bytes.remove(at: position)
                default: if position < bytes.count { bytes[position] = byte } else { bytes.append(byte) }
                }
            }
            if !expectedVerdict(bytes) { rejected += 1 }
            assertSameVerdict(bytes)
        }
        // The mutations must exercise both verdicts, or the comparison proves little.
        XCTAssertGreaterThan(rejected, 5_000)
        XCTAssertLessThan(rejected, 29_000)
    }

    /// Random well-formed JSON: nested containers, escapes of every kind, numbers of every shape.
    private static func randomValue(_ random: inout SplitMix, depth: Int) -> String {
        switch random.next() % (depth > 4 ? 4 : 7) {
        case 0:
            return ["0", "-0", "12", "-3.5", "1e9", "2.5E-3", "18446744073709551616", "1e308"][Int(random.next() % 8)]
        case 1:
            return ["true", "false", "null"][Int(random.next() % 3)]
        case 2, 3:
            let pieces = ["a", "\\n", "\\u00e9", "\\ud83d\\ude00", "é", "\\\"", "\\u0000", " ", "🚀", "\\/"]
            return "\"" + (0..<Int(random.next() % 4)).map { _ in pieces[Int(random.next() % UInt64(pieces.count))] }.joined() + "\""
        case 4, 5:
            return "[" + (0..<Int(random.next() % 4)).map { _ in randomValue(&random, depth: depth + 1) }.joined(separator: ",") + "]"
        default:
            let members = (0..<Int(random.next() % 4)).map { index in "\"k\(index)\": " + randomValue(&random, depth: depth + 1) }
            return "{" + members.joined(separator: ", ") + "}"
        }
    }

    func testJanssonSwallowsANulAfterANumberTheScannerDoesNot() {
        for text in ["[1\u{0}]", "1\u{0}", "[null\u{0},2]", "{\"a\":true\u{0}}"] {
            XCTAssertTrue(janssonAccepts(Array(text.utf8)), text.debugDescription)
            XCTAssertFalse(scannerAccepts(Array(text.utf8)), text.debugDescription)
        }
        // Anywhere else jansson rejects a raw NUL too.
        for text in ["[\u{0}1]", "[\"\u{0}\"]", "[1,\u{0}2]", "[1\u{0}\u{0}]", "\u{0}"] {
            XCTAssertFalse(janssonAccepts(Array(text.utf8)), text.debugDescription)
            XCTAssertFalse(scannerAccepts(Array(text.utf8)), text.debugDescription)
        }
    }

    func testFailuresNameTheByteWhereTheTextGoesWrong() {
        for (text, position) in [("[1,]", 3), (#"["a\x"]"#, 4), ("[1] x", 4), (#"{"a" 1}"#, 5), ("[01]", 2), ("[1e400]", 1)] {
            let error = Array(text.utf8).withUnsafeBytes { bytes -> JSONTextScanner.Failure? in
                do throws(JSONTextScanner.Failure) { _ = try JSONTextScanner.scanMessage(bytes); return nil } catch { return error }
            }
            XCTAssertEqual(error?.position, position, text)
        }
        XCTAssertThrowsError(try MessageDecoder.decode(ByteBuffer(string: #"[48,1,{},"a",["\ud800"]]"#))) { error in
            XCTAssertEqual((error as? WampDecodeError)?.kind, .invalidJSON)
            XCTAssertEqual((error as? WampDecodeError)?.description,
                           "message is not valid JSON: high surrogate escape without a low surrogate after it at byte 15")
        }
    }

    func testLayoutFindsTopLevelElements() throws {
        let text = #" [ 48 , 1, {"a":[1]}, "p\"]" ,[ {} ], {"k":"]"} ] "#
        let layout = try Array(text.utf8).withUnsafeBytes { try JSONTextScanner.scanMessage($0) }
        XCTAssertTrue(layout.isArray)
        XCTAssertEqual(layout.count, 6)
        let bytes = Array(text.utf8)
        let elements = (0..<6).map { String(decoding: bytes[layout.range($0)], as: UTF8.self) }
        XCTAssertEqual(elements, ["48", "1", #"{"a":[1]}"#, #""p\"]""#, "[ {} ]", #"{"k":"]"}"#])
    }
}

/// A small deterministic generator for the mutation test (the inputs must be reproducible).
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
