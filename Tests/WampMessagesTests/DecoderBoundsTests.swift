import NIOCore
import XCTest
@testable import WampMessages

/// What a peer controls in a message must not change how much decoding costs or how the router
/// reads the rest: payloads are never materialised, big integers spoil only their own value.
final class DecoderBoundsTests: XCTestCase {
    private func publish(_ text: String) throws -> Publish {
        guard case .publish(let publish) = try MessageDecoder.decode(ByteBuffer(string: text)) else {
            throw XCTSkip("unreachable: not a PUBLISH")
        }
        return publish
    }

    func testBigIntegerInPayloadLeavesOptionsAsWithASmallPayload() throws {
        let options = #"{"exclude":[123],"eligible":[7,9007199254740992],"acknowledge":true,"timeout":5}"#
        let big = try publish(#"[16,1,\#(options),"com.a",[18446744073709551616123],{"n":-99999999999999999999999}]"#)
        let small = try publish(#"[16,1,\#(options),"com.a",[1],{"n":1}]"#)
        for decoded in [big, small] {
            XCTAssertEqual(decoded.options.value("exclude")?.integerArray, [123])
            XCTAssertEqual(decoded.options.value("eligible")?.integerArray, [7, 9_007_199_254_740_992])
            XCTAssertEqual(decoded.options.bool("acknowledge"), true)
            XCTAssertEqual(decoded.options.integer("timeout"), 5)
        }
        XCTAssertEqual(big.options.jsonText, small.options.jsonText)
        XCTAssertEqual(big.payload.arguments?.description, "[18446744073709551616123]")
        XCTAssertEqual(big.payload.argumentsKw?.description, #"{"n":-99999999999999999999999}"#)
    }

    func testBigIntegerInOptionsSpoilsOnlyThatOption() throws {
        guard case .call(let call) = try MessageDecoder.decode(ByteBuffer(string:
            #"[48,2,{"timeout":1180591620717411303424,"receive_progress":true,"x":[3,-18446744073709551617]},"com.a",[1]]"#)) else {
            return XCTFail("not a CALL")
        }
        XCTAssertNil(call.options.integer("timeout"), "2^70 is not a usable integer timeout")
        XCTAssertTrue(call.options.contains("timeout"))
        XCTAssertEqual(call.options.bool("receive_progress"), true)
        XCTAssertEqual(call.options.value("x")?.element(0)?.integerValue, 3)
        XCTAssertNil(call.options.value("x")?.element(1)?.integerValue)
        XCTAssertEqual(call.request, 2)
        XCTAssertEqual(call.payload.arguments?.description, "[1]")
    }

    func testBigIntegerInAMessageWithoutPayload() throws {
        guard case .subscribe(let subscribe) = try MessageDecoder.decode(ByteBuffer(string:
            #"[32,3,{"big":99999999999999999999,"match":"prefix"},"com.a"]"#)) else { return XCTFail("not a SUBSCRIBE") }
        XCTAssertEqual(subscribe.options.string("match"), "prefix")
        XCTAssertEqual(subscribe.topic, "com.a")
    }

    func testPayloadIsNeverMaterialised() throws {
        // 16 MiB of `{},` as CALL arguments: jansson's tree of this would be ~1.2 GiB.
        let prefix = #"[48,1,{},"com.example.nothing","#
        var text = prefix + "["
        text += String(repeating: "{},", count: (16 << 20) / 3 - 20)
        text.removeLast()
        text += "]]"
        let buffer = ByteBuffer(string: text)
        text = ""
        let before = MemoryStatus.resetPeakAndReadResident()
        let message = try MessageDecoder.decode(buffer)
        let peak = MemoryStatus.read("VmHWM")
        guard case .call(let call) = message else { return XCTFail("not a CALL") }
        XCTAssertEqual(call.payload.arguments?.bytes.readableBytes, buffer.readableBytes - prefix.utf8.count - 1)
        if let before, let peak {
            XCTAssertLessThan(peak - before, 32 << 20, "decoding a \(buffer.readableBytes)-byte message raised the peak RSS by \(peak - before) bytes")
        } else {
            XCTFail("/proc/self/status has no VmRSS/VmHWM")
        }
    }

    func testOptionsBeyondTheLimitAreRefusedBeforeJanssonBuildsThem() {
        let options = #"{"x":["# + String(repeating: "{},", count: 400_000) + "{}]}"
        let text = #"[48,1,\#(options),"com.a"]"#
        XCTAssertThrowsError(try MessageDecoder.decode(ByteBuffer(string: text))) { error in
            XCTAssertEqual((error as? WampDecodeError)?.kind, .optionsTooLarge)
            XCTAssertEqual((error as? WampDecodeError)?.description,
                           "CALL Details/Options take \(options.utf8.count) bytes; this router accepts at most 1048576")
        }
        // A list in the Options position counts too: it is refused for its size, not built first.
        XCTAssertThrowsError(try MessageDecoder.decode(ByteBuffer(string: #"[32,1,\#(options.dropFirst(5).dropLast()),"com.a"]"#))) { error in
            XCTAssertEqual((error as? WampDecodeError)?.kind, .optionsTooLarge)
        }
        XCTAssertNoThrow(try MessageDecoder.decode(ByteBuffer(string: text), limits: .init(maxOptionsBytes: 2 << 20)))
        XCTAssertThrowsError(try MessageDecoder.decode(ByteBuffer(string: #"[48,1,{"a":1},"com.a"]"#), limits: .init(maxOptionsBytes: 6)))
        XCTAssertNoThrow(try MessageDecoder.decode(ByteBuffer(string: #"[48,1,{"a":1},"com.a"]"#), limits: .init(maxOptionsBytes: 7)))
    }

    func testExtraElementsAreRefusedByArityBeforeJansson() {
        let text = "[32,1,{},\"t\"" + String(repeating: ",{}", count: 1000) + "]"
        XCTAssertThrowsError(try MessageDecoder.decode(ByteBuffer(string: text))) { error in
            XCTAssertEqual((error as? WampDecodeError)?.kind, .wrongArity)
        }
    }
}

/// Reads this process's memory figures from /proc/self/status (Linux).
enum MemoryStatus {
    /// A field such as `VmHWM` in bytes.
    static func read(_ field: String) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            return parts.count >= 2 ? Int(parts[1]).map { $0 * 1024 } : nil
        }
        return nil
    }

    /// Resets the peak (writing 5 to clear_refs) so `VmHWM` afterwards measures only what follows.
    static func resetPeakAndReadResident() -> Int? {
        try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
        return read("VmRSS")
    }
}
