import NIOCore
import XCTest
@testable import WampMessages

/// `CBORMessageDecoder` and `CBORMessageEncoder`: every message type round-trips byte exact, reads
/// the same fields the JSON decoder reads from the same message, and keeps payloads as the
/// sender's bytes.
final class CBORMessageCodecTests: XCTestCase {
    private typealias T = CBORTestSupport

    private func decode(_ buffer: ByteBuffer, limits: MessageDecoder.Limits = .default) throws -> WampMessage {
        try CBORMessageDecoder.decode(buffer, limits: limits)
    }

    /// The JSON text of a message's envelope (payload removed), to compare what two decoders read.
    private func envelopeText(_ message: WampMessage) -> String {
        MessageEncoder.encode(message.replacingPayload(.empty)).description
    }

    func testEveryMessageTypeRoundTripsAndReadsAsItsJSONTwin() throws {
        for (code, text) in MessageRoundTripTests.samples {
            let cbor = try T.cborMessage(json: text)
            let message = try decode(cbor)
            XCTAssertEqual(message.code, code, text)
            XCTAssertEqual(T.hex(try CBORMessageEncoder.encode(message)), T.hex(cbor), text)
            XCTAssertEqual(try WampSerialization.cbor.decode(cbor).code, code)

            let twin = try MessageDecoder.decode(ByteBuffer(string: text))
            XCTAssertEqual(envelopeText(message), envelopeText(twin), text)
            let payload = message.payload
            XCTAssertEqual(payload?.serialization ?? .cbor, .cbor)
            XCTAssertEqual(payload?.argumentsBytes.map { try? CBORValueCodec.decode($0) },
                           twin.payload?.argumentsBytes.map { T.value(json: String(buffer: $0)) }, text)
            XCTAssertEqual(payload?.argumentsKwBytes.map { try? CBORValueCodec.decode($0) },
                           twin.payload?.argumentsKwBytes.map { T.value(json: String(buffer: $0)) }, text)
        }
    }

    func testPayloadIsASliceOfTheMessageKeptByteExact() throws {
        // Payload values the envelope could not hold (a tag, an integer key, undefined) are
        // well-formed CBOR: they travel unchanged to CBOR peers.
        let arguments = "83c11a514b67b0f7fb3fb999999999999a"
        let argumentsKw = "a20102616bbf61615f4101ffff"
        let cbor = T.bytes("86" + "10" + "01" + "a0" + "65636f6d2e74" + arguments + argumentsKw)
        guard case .publish(let publish) = try decode(cbor) else { return XCTFail("not a PUBLISH") }
        XCTAssertEqual(publish.payload.serialization, .cbor)
        XCTAssertEqual(publish.payload.argumentsBytes.map(T.hex), arguments)
        XCTAssertEqual(publish.payload.argumentsKwBytes.map(T.hex), argumentsKw)
        XCTAssertEqual(T.hex(try CBORMessageEncoder.encode(.publish(publish))), T.hex(cbor))
        // Converting that payload for a peer of another serializer is what fails.
        XCTAssertThrowsError(try publish.payload.converted(to: .json))
    }

    func testMessagesDecodeFromASliceThatDoesNotStartAtOffsetZero() throws {
        var framed = ByteBuffer(bytes: [0xAA, 0xBB, 0xCC])
        var message = try T.cborMessage(json: #"[48,7,{"timeout":5},"com.p",[1,2],{"k":"v"}]"#)
        framed.writeBuffer(&message)
        framed.moveReaderIndex(forwardBy: 3)
        guard case .call(let call) = try decode(framed) else { return XCTFail("not a CALL") }
        XCTAssertEqual(call.request, 7)
        XCTAssertEqual(call.options.integer("timeout"), 5)
        XCTAssertEqual(call.payload.argumentsBytes.map(T.hex), "820102")
        XCTAssertEqual(call.payload.argumentsKwBytes.map(T.hex), "a1616b6176")
    }

    func testByteStringsInOptionsBecomeBinaryTextAndComeBackAsBytes() throws {
        // [16, 1, {"key": h'000102ff', "empty": h''}, "t"]
        let cbor = T.bytes("84 10 01 a2 636b6579 44000102ff 65656d707479 40 6174")
        guard case .publish(let publish) = try decode(cbor) else { return XCTFail("not a PUBLISH") }
        XCTAssertEqual(publish.options.string("key"), "\u{0}AAEC/w==")
        XCTAssertEqual(publish.options.string("empty"), "\u{0}")
        XCTAssertEqual(T.hex(try CBORMessageEncoder.encode(.publish(publish))), T.hex(cbor))
    }

    func testOnlyCanonicalBinaryStringsAreWrittenAsByteStrings() throws {
        let options = JSONValue.makeObject()
        options.set("binary", string: "\u{0}AAEC/w==")
        options.set("notPadded", string: "\u{0}AAEC/w")
        options.set("strayBits", string: "\u{0}AAEC/x==")
        options.set("text", string: "AAEC/w==")
        options.set("nulInside", string: "a\u{0}b")
        let bytes = try CBORMessageEncoder.encode(.publish(Publish(request: 1, options: options, topic: "t")))
        let value = try CBORValueCodec.decode(bytes)
        guard case .array(let elements) = value, case .map(let members) = elements[2] else { return XCTFail("\(value)") }
        let byKey = Dictionary(uniqueKeysWithValues: members.map { ($0.key, $0.value) })
        XCTAssertEqual(byKey["binary"], .binary([0, 1, 2, 0xFF]))
        XCTAssertEqual(byKey["notPadded"], .string("\u{0}AAEC/w"))
        XCTAssertEqual(byKey["strayBits"], .string("\u{0}AAEC/x=="))
        XCTAssertEqual(byKey["text"], .string("AAEC/w=="))
        XCTAssertEqual(byKey["nulInside"], .string("a\u{0}b"))
    }

    func testEnvelopeValuesMapToTheirJSONEquivalents() throws {
        // [1, "realm1", {"i": -5, "f": 1.5 (half), "g": 0.1, "t": true, "n": null, "l": [1, "x"], "d": {"e": false}}]
        let cbor = T.bytes("83 01 667265616c6d31 a7 6169 24 6166 f93e00 6167 fb3fb999999999999a 6174 f5 616e f6 616c 82 01 6178 6164 a1 6165 f4")
        guard case .hello(let hello) = try decode(cbor) else { return XCTFail("not a HELLO") }
        XCTAssertEqual(hello.realm, "realm1")
        XCTAssertEqual(hello.details.jsonText, #"{"i":-5,"f":1.5,"g":0.10000000000000001,"t":true,"n":null,"l":[1,"x"],"d":{"e":false}}"#)
    }

    func testIntegersBeyond64BitsInTheEnvelopeAreRefusedAsJSONRefusesThem() throws {
        // PUBLISHED.Request = 2^64-1: out of range, not a type error (bigIntegerElements).
        XCTAssertThrowsError(try decode(T.bytes("83 11 1bffffffffffffffff 01"))) { error in
            XCTAssertEqual((error as? WampDecodeError)?.kind, .idOutOfRange)
        }
        XCTAssertThrowsError(try decode(T.bytes("83 11 3bffffffffffffffff 01"))) { error in
            XCTAssertEqual((error as? WampDecodeError)?.kind, .idOutOfRange)
        }
        XCTAssertThrowsError(try decode(T.bytes("83 11 1b0020000000000001 01"))) { error in
            XCTAssertEqual((error as? WampDecodeError)?.kind, .idOutOfRange)  // 2^53 + 1
        }
        XCTAssertThrowsError(try decode(T.bytes("83 11 20 01"))) { error in
            XCTAssertEqual((error as? WampDecodeError)?.kind, .idOutOfRange)  // -1
        }
        XCTAssertThrowsError(try decode(T.bytes("83 11 f93c00 01"))) { error in
            XCTAssertEqual((error as? WampDecodeError)?.kind, .wrongFieldType)  // 1.0
        }
        // Inside Options a big integer is a real: the integer option reads as absent.
        let call = try decode(T.bytes("84 1830 01 a1 6774696d656f7574 1bffffffffffffffff 6170"))
        guard case .call(let decoded) = call else { return XCTFail("not a CALL") }
        XCTAssertNil(decoded.options.integer("timeout"))
        XCTAssertTrue(decoded.options.contains("timeout"))
        // A message code beyond 64 bits is an unknown code.
        XCTAssertThrowsError(try decode(T.bytes("81 1bffffffffffffffff"))) { error in
            XCTAssertEqual((error as? WampDecodeError)?.kind, .unknownMessageCode)
        }
    }

    func testWhatAJSONEnvelopeCannotHoldIsAWrongFieldType() {
        let cases: [(String, String)] = [
            ("83 01 6172 a1 6161 c11a514b67b0", "tag 1"),  // HELLO.Details with a tag
            ("83 01 c16172 a0", "tag 1"),  // tagged realm
            ("83 01 6172 a1 01 02", "keys must be text"),
            ("83 01 6172 a1 626100 01", "NUL"),
            ("83 01 6172 a1 6161 f7", "undefined"),
            ("83 01 6172 a1 6161 f0", "simple value 16"),
            ("83 01 6172 a1 6161 f97e00", "not finite"),
            ("83 01 6172 a1 6161 fb7ff0000000000000", "not finite"),
        ]
        for (hex, words) in cases {
            XCTAssertThrowsError(try decode(T.bytes(hex)), hex) { error in
                let error = error as? WampDecodeError
                XCTAssertEqual(error?.kind, .wrongFieldType, hex)
                XCTAssertTrue(error?.description.contains(words) ?? false, "\(hex): \(String(describing: error))")
            }
        }
    }

    func testSelfDescribeTagIsSkipped() throws {
        let message = try decode(T.bytes("d9d9f7 83 11 d9d9f7 01 02"))
        guard case .published(let published) = message else { return XCTFail("not PUBLISHED") }
        XCTAssertEqual(published.request, 1)
        XCTAssertEqual(published.publication, 2)
    }

    func testIndefiniteLengthMessagesDecode() throws {
        // [_ 16, 1, {_ "a": 1}, (_ "co", "m.t"), [_ 1], {_ }]
        let cbor = T.bytes("9f 10 01 bf 6161 01 ff 7f 62636f 636d2e74 ff 9f 01 ff bf ff ff")
        guard case .publish(let publish) = try decode(cbor) else { return XCTFail("not a PUBLISH") }
        XCTAssertEqual(publish.topic, "com.t")
        XCTAssertEqual(publish.options.integer("a"), 1)
        XCTAssertEqual(publish.payload.argumentsBytes.map(T.hex), "9f01ff")
        XCTAssertEqual(publish.payload.argumentsKwBytes.map(T.hex), "bfff")
        XCTAssertEqual(T.hex(try CBORMessageEncoder.encode(.publish(publish))), "861001" + "a1616101" + "65636f6d2e74" + "9f01ff" + "bfff")
    }

    func testAbsentArgumentsWithArgumentsKwAreWrittenAsAnEmptyList() throws {
        let payload = Payload(serialization: .cbor, argumentsBytes: nil, argumentsKwBytes: T.bytes("a1616101"))
        let bytes = try CBORMessageEncoder.encode(.yield(Yield(request: 5, options: .emptyObject, payload: payload)))
        XCTAssertEqual(T.hex(bytes), "85184605a080a1616101")
        guard case .yield(let yield) = try decode(bytes) else { return XCTFail("not a YIELD") }
        XCTAssertEqual(yield.payload.argumentsBytes.map(T.hex), "80")
    }

    func testRouterMadeMessagesEncode() throws {
        let abort = Abort(reason: "wamp.error.no_such_realm", message: "no")
        XCTAssertEqual(
            T.hex(try CBORMessageEncoder.encode(.abort(abort))),
            "8303a1676d65737361676562" + "6e6f" + "78" + "18" + T.hex(ByteBuffer(string: "wamp.error.no_such_realm")))
        let details = JSONValue.makeObject()
        details.set("subscription", integer: 5_512_315_355)
        details.set("reason", string: "wamp.subscription.revoked")
        let unsubscribed = try CBORMessageEncoder.encode(.unsubscribed(Unsubscribed(request: 0, details: details)))
        guard case .unsubscribed(let decoded) = try decode(unsubscribed) else { return XCTFail("not UNSUBSCRIBED") }
        XCTAssertEqual(decoded.request, 0)
        XCTAssertEqual(decoded.details?.integer("subscription"), 5_512_315_355)
        XCTAssertEqual(T.hex(try CBORMessageEncoder.encode(.unsubscribed(decoded))), T.hex(unsubscribed))
    }

    func testArgumentsMustBeAListAndArgumentsKwADict() {
        for hex in ["85 10 01 a0 6174 a0", "85 10 01 a0 6174 01", "86 10 01 a0 6174 80 80", "85 10 01 a0 6174 c180"] {
            XCTAssertThrowsError(try decode(T.bytes(hex)), hex) { error in
                XCTAssertEqual((error as? WampDecodeError)?.kind, .wrongFieldType, hex)
            }
        }
    }

    func testShapeErrorsAreTheJSONKinds() {
        let cases: [(String, WampDecodeError.Kind)] = [
            ("a0", .notAnArray),
            ("01", .notAnArray),
            ("80", .emptyArray),
            ("9fff", .emptyArray),
            ("81 6131", .invalidMessageCode),
            ("81 c101", .invalidMessageCode),
            ("81 1863", .unknownMessageCode),
            ("82 01 6172", .wrongArity),
            ("84 11 01 02 03", .wrongArity),
            ("83 01 01 a0", .wrongFieldType),
            ("83 01 6172 80", .wrongFieldType),
            ("85 08 1863 01 a0 6165", .wrongFieldType),
        ]
        for (hex, kind) in cases {
            XCTAssertThrowsError(try decode(T.bytes(hex)), hex) { error in
                XCTAssertEqual((error as? WampDecodeError)?.kind, kind, "\(hex): \(error)")
            }
        }
    }

    func testOptionsBeyondTheLimitAreRefusedBeforeTheEnvelopeIsBuilt() throws {
        let options = "a1 6161 59 0400" + String(repeating: "78", count: 1024)
        let cbor = T.bytes("84 1820 01 " + options + " 6174")
        XCTAssertNoThrow(try decode(cbor, limits: MessageDecoder.Limits(maxOptionsBytes: 2048)))
        XCTAssertThrowsError(try decode(cbor, limits: MessageDecoder.Limits(maxOptionsBytes: 1024))) { error in
            XCTAssertEqual((error as? WampDecodeError)?.kind, .optionsTooLarge)
        }
        // The payload does not count.
        let publish = T.bytes("85 10 01 a0 6174 81 59 1000" + String(repeating: "78", count: 4096))
        XCTAssertNoThrow(try decode(publish, limits: MessageDecoder.Limits(maxOptionsBytes: 16)))
    }

    func testDeepPayloadIsScannedNotBuilt() throws {
        let depth = 2000
        let cbor = T.bytes("85 10 01 a0 6174 " + String(repeating: "81", count: depth) + "80")
        guard case .publish(let publish) = try decode(cbor) else { return XCTFail("not a PUBLISH") }
        XCTAssertEqual(publish.payload.argumentsBytes?.readableBytes, depth + 1)
    }

    /// The specification's conformance vectors: the CBOR bytes decode to what their JSON twin
    /// decodes to (or fail with the same kind), and re-encode to the same bytes.
    func testSpecificationVectors() throws {
        XCTAssertGreaterThanOrEqual(CBORSpecVectors.all.count, 30)
        var decoded = 0
        for vector in CBORSpecVectors.all {
            let label = "\(vector.messageType): \(vector.sample)"
            let cbor = T.bytes(vector.cborHex)
            let result = Swift.Result { try decode(cbor) }
            guard let jsonText = vector.json else {
                XCTAssertNoThrow(try result.get(), label)
                continue
            }
            let twin = Swift.Result { try MessageDecoder.decode(ByteBuffer(string: jsonText)) }
            switch (result, twin) {
            case (.success(let message), .success(let jsonMessage)):
                decoded += 1
                XCTAssertEqual(envelopeText(message), envelopeText(jsonMessage), label)
                XCTAssertEqual(message.payload?.argumentsBytes.map { try? CBORValueCodec.decode($0) },
                               jsonMessage.payload?.argumentsBytes.map { T.value(json: String(buffer: $0)) }, label)
                XCTAssertEqual(message.payload?.argumentsKwBytes.map { try? CBORValueCodec.decode($0) },
                               jsonMessage.payload?.argumentsKwBytes.map { T.value(json: String(buffer: $0)) }, label)
                XCTAssertEqual(T.hex(try CBORMessageEncoder.encode(message)), vector.cborHex, label)
            case (.failure(let error), .failure(let jsonError)):
                XCTAssertEqual((error as? WampDecodeError)?.kind, (jsonError as? WampDecodeError)?.kind, label)
            default:
                XCTFail("\(label): CBOR \(result), JSON \(twin)")
            }
        }
        XCTAssertGreaterThanOrEqual(decoded, 25)
    }
}
