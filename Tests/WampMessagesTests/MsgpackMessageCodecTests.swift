import CJansson
import NIOCore
import XCTest
@testable import WampMessages

/// Every message type through `wamp.2.msgpack`: decoded fields equal the JSON decoder's for the
/// same message, the encoding is byte-exact, payloads stay slices of the received bytes.
final class MsgpackMessageCodecTests: XCTestCase {
    private let hex = MsgpackTestSupport.hex
    private let bytes = MsgpackTestSupport.bytes

    func testEveryMessageTypeRoundTripsByteExactWithTheJSONDecodersFields() throws {
        for (code, text) in MessageRoundTripTests.samples {
            let wire = try MsgpackTestSupport.msgpack(fromJSON: text)
            let message = try MsgpackMessageDecoder.decode(wire)
            XCTAssertEqual(message.code, code, text)
            let json = try MessageDecoder.decode(ByteBuffer(string: text))
            XCTAssertEqual(MsgpackTestSupport.envelopeJSON(message), MsgpackTestSupport.envelopeJSON(json), text)
            XCTAssertEqual(hex(try MsgpackMessageEncoder.encode(message)), hex(wire), "round trip of \(code.name)")
            if let payload = message.payload {
                XCTAssertEqual(payload.serialization, .msgpack)
                let jsonPayload = json.payload!
                XCTAssertEqual(payload.argumentsBytes.map(hex), try jsonPayload.arguments.map { hex(try MsgpackTestSupport.msgpack(fromJSON: $0.description)) })
                XCTAssertEqual(payload.argumentsKwBytes.map(hex), try jsonPayload.argumentsKw.map { hex(try MsgpackTestSupport.msgpack(fromJSON: $0.description)) })
            }
        }
    }

    func testEncodingGoesThroughWampSerialization() throws {
        let message = try MsgpackMessageDecoder.decode(try MsgpackTestSupport.msgpack(fromJSON: #"[50,4,{},[5]]"#))
        let encoded = try WampSerialization.msgpack.encode(message)
        XCTAssertEqual(encoded.serialization, .msgpack)
        XCTAssertEqual(hex(encoded.bytes), "9432048091" + "05")
        XCTAssertEqual(try WampSerialization.msgpack.decode(encoded.bytes).code, .result)
    }

    func testDecodedFieldsAreTyped() throws {
        // [48, 7, {"receive_progress": true}, "com.a.b", [1], {"z": "é"}]
        let wire = bytes("96 30 07 81 b0 72656365697665 5f 70726f6772657373 c3 a7 636f6d2e612e62 91 01 81 a1 7a a2 c3a9")
        guard case .call(let call) = try MsgpackMessageDecoder.decode(wire) else { return XCTFail("not a CALL") }
        XCTAssertEqual(call.request, 7)
        XCTAssertEqual(call.procedure, "com.a.b")
        XCTAssertEqual(call.options.bool("receive_progress"), true)
        XCTAssertEqual(hex(call.payload.argumentsBytes!), "9101")
        XCTAssertEqual(hex(call.payload.argumentsKwBytes!), "81a17aa2c3a9")
    }

    func testPayloadsAreSlicesTaggedMsgpackAndTravelUnchanged() throws {
        // Arguments a JSON round trip could not keep: float32, a non-minimal integer, binary, uint64 max.
        let arguments = "95 ca3dcccccd cd0001 c403010203 cfffffffffffffffff a3e697a5"
        let argumentsKw = "82 a16e 82 a16c 90 a164 80 a175 a4f09f9a80"
        var framed = ByteBuffer(bytes: [0xEE, 0xEE])
        framed.writeImmutableBuffer(bytes("95 46 0c 80" + arguments + argumentsKw))
        framed.moveReaderIndex(forwardBy: 2)
        guard case .yield(let yield) = try MsgpackMessageDecoder.decode(framed) else { return XCTFail() }
        XCTAssertEqual(yield.payload.serialization, .msgpack)
        XCTAssertEqual(hex(yield.payload.argumentsBytes!), hex(bytes(arguments)))
        XCTAssertEqual(hex(yield.payload.argumentsKwBytes!), hex(bytes(argumentsKw)))
        let result = try MsgpackMessageEncoder.encode(.result(Result(request: 3, details: .emptyObject, payload: yield.payload)))
        XCTAssertEqual(hex(result), "95320380" + hex(bytes(arguments + argumentsKw)))
    }

    func testKeywordArgumentsWithoutArgumentsGetAnEmptyList() throws {
        let payload = Payload(serialization: .msgpack, argumentsBytes: nil, argumentsKwBytes: bytes("81a16101"))
        let encoded = try MsgpackMessageEncoder.encode(.event(Event(subscription: 1, publication: 2, details: .emptyObject, payload: payload)))
        XCTAssertEqual(hex(encoded), "962401028090" + "81a16101")
    }

    func testIDsAreWrittenAsTheSmallestUnsignedFormat() throws {
        let encoded = try MsgpackMessageEncoder.encode(.published(Published(request: 239_714_735, publication: WampIDRange.max)))
        XCTAssertEqual(hex(encoded), "9311" + "ce0e49c1af" + "cf0020000000000000")
    }

    func testDetailsTypesSurviveTheJanssonEnvelope() throws {
        // {"b": bin 01 02 03, "n": -5, "f": 0.5, "s": "x", "l": [nil, true, false], "big": uint64 max}
        let details = "86 a162 c403010203 a16e fb a166 cb3fe0000000000000 a173 a178 a16c 93 c0 c3 c2 a3626967 cfffffffffffffffff"
        let wire = bytes("93 02 01" + details)
        guard case .welcome(let welcome) = try MsgpackMessageDecoder.decode(wire) else { return XCTFail() }
        // Binary reaches jansson in the spec's JSON spelling, the big integer as a real (not an integer option).
        XCTAssertEqual(welcome.details.string("b"), "\u{0}AQID")
        XCTAssertEqual(welcome.details.integer("n"), -5)
        XCTAssertNil(welcome.details.integer("big"))
        XCTAssertTrue(welcome.details.contains("big"))
        // Re-encoded, everything but the big integer (now a float64) is as it came.
        let again = try MsgpackMessageEncoder.encode(.welcome(welcome))
        XCTAssertEqual(hex(again), hex(bytes("93 02 01 86 a162 c403010203 a16e fb a166 cb3fe0000000000000 a173 a178 a16c 93 c0 c3 c2 a3626967 cb43f0000000000000")))
    }

    func testStringsThatOnlyLookLikeBinaryStayStrings() throws {
        let details = JSONValue.makeObject()
        details.set("notBase64", string: "\u{0}not base64!")
        details.set("nonCanonical", string: "\u{0}AR==")  // 0x01 is "AQ==": the extra bits are set
        details.set("plain", string: "AQID")
        let encoded = try MsgpackMessageEncoder.encode(.welcome(Welcome(session: 1, details: details)))
        guard case .welcome(let decoded) = try MsgpackMessageDecoder.decode(encoded) else { return XCTFail() }
        XCTAssertEqual(decoded.details.string("notBase64"), "\u{0}not base64!")
        XCTAssertEqual(decoded.details.string("nonCanonical"), "\u{0}AR==")
        XCTAssertEqual(decoded.details.string("plain"), "AQID")
    }

    func testBinaryTextSpellingRoundTripsForEveryPaddingLength() {
        for count in 0..<8 {
            let original = (0..<count).map { UInt8(truncatingIfNeeded: $0 * 37 + 200) }
            let length = BinaryText.encodedLength(count)
            var text = [UInt8](repeating: 0xFF, count: length)
            original.withUnsafeBytes { source in text.withUnsafeMutableBufferPointer { BinaryText.encode(source, into: $0.baseAddress!) } }
            XCTAssertEqual(text.withUnsafeBytes { BinaryText.decode($0) }, original, "\(count) bytes")
        }
        XCTAssertEqual(Array("\u{0}AQID".utf8).withUnsafeBytes { BinaryText.decode($0) }, [1, 2, 3])
        XCTAssertNil(Array("\u{0}AQ=".utf8).withUnsafeBytes { BinaryText.decode($0) })
        XCTAssertNil(Array("\u{0}A===".utf8).withUnsafeBytes { BinaryText.decode($0) })
        XCTAssertNil(Array("\u{0}AQ=D".utf8).withUnsafeBytes { BinaryText.decode($0) })
        XCTAssertNil(Array("AQID".utf8).withUnsafeBytes { BinaryText.decode($0) })
    }

    func testAJSONPayloadIsConvertedBeforeEncoding() throws {
        let message = try MessageDecoder.decode(ByteBuffer(string: #"[36,1,2,{},[1,"a",0.1],{"k":[]}]"#))
        let encoded = try MsgpackMessageEncoder.encode(message)
        XCTAssertEqual(hex(encoded), "9624010280" + "9301a161cb3fb999999999999a" + "81a16b90")
    }

    func testAPayloadWithNoMsgpackFormIsAnErrorNotAChangedValue() {
        // An integer beyond 64 bits from a JSON publisher has no MessagePack form: the encoder
        // throws (the sender gets an ERROR) instead of sending a rounded or wrapped value.
        let payload = Payload(serialization: .json, argumentsBytes: ByteBuffer(string: "[18446744073709551616]"), argumentsKwBytes: nil)
        XCTAssertThrowsError(try MsgpackMessageEncoder.encode(.event(Event(subscription: 1, publication: 2, details: .emptyObject, payload: payload))))
    }

    func testUnsubscribedAndUnregisteredRevocationForms() throws {
        guard case .unsubscribed(let message) = try MsgpackMessageDecoder.decode(bytes("93 23 00 82 ac737562736372697074696f6e 05 a6726561736f6e a178")) else {
            return XCTFail()
        }
        XCTAssertEqual(message.request, 0)
        XCTAssertEqual(message.details?.integer("subscription"), 5)
        guard case .unregistered(let short) = try MsgpackMessageDecoder.decode(bytes("92 43 06")) else { return XCTFail() }
        XCTAssertEqual(short.request, 6)
        XCTAssertNil(short.details)
    }
}
