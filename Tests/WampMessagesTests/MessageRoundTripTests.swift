import NIOCore
import XCTest
@testable import WampMessages

/// Every message type decodes from its wire text and encodes back to the same text.
final class MessageRoundTripTests: XCTestCase {
    /// One canonical compact text per message code, payloads included where allowed.
    static let samples: [(MessageCode, String)] = [
        (.hello, #"[1,"realm1",{"roles":{"caller":{}}}]"#),
        (.welcome, #"[2,9007199254740992,{"roles":{"broker":{}}}]"#),
        (.abort, #"[3,{"message":"no"},"wamp.error.no_such_realm"]"#),
        (.challenge, #"[4,"ticket",{}]"#),
        (.authenticate, #"[5,"secret",{}]"#),
        (.goodbye, #"[6,{},"wamp.close.close_realm"]"#),
        (.error, #"[8,68,7,{},"com.example.error",[1,2],{"a":3}]"#),
        (.publish, #"[16,1,{"acknowledge":true},"com.example.tick",[1.5],{"x":null}]"#),
        (.published, #"[17,1,42]"#),
        (.subscribe, #"[32,2,{},"com.example.tick"]"#),
        (.subscribed, #"[33,2,43]"#),
        (.unsubscribe, #"[34,3,43]"#),
        (.unsubscribed, #"[35,3]"#),
        (.event, #"[36,43,42,{},["a"]]"#),
        (.call, #"[48,4,{},"com.example.add2",[2,3]]"#),
        (.cancel, #"[49,4,{"mode":"kill"}]"#),
        (.result, #"[50,4,{},[5]]"#),
        (.register, #"[64,5,{},"com.example.add2"]"#),
        (.registered, #"[65,5,44]"#),
        (.unregister, #"[66,6,44]"#),
        (.unregistered, #"[67,6]"#),
        (.invocation, #"[68,1,44,{},[2,3],{}]"#),
        (.interrupt, #"[69,1,{}]"#),
        (.yield, #"[70,1,{},[5]]"#),
    ]

    func testEveryMessageCodeHasASample() {
        XCTAssertEqual(Set(Self.samples.map(\.0)), Set(MessageCode.allCases))
    }

    func testEveryMessageTypeRoundTripsByteExact() throws {
        for (code, text) in Self.samples {
            let message = try MessageDecoder.decode(ByteBuffer(string: text))
            XCTAssertEqual(message.code, code, text)
            XCTAssertEqual(MessageEncoder.encode(message).description, text, "round trip of \(code.name)")
        }
    }

    func testDecodedFieldsAreTyped() throws {
        guard case .call(let call) = try MessageDecoder.decode(ByteBuffer(string: #"[48, 7, {"receive_progress": true}, "com.a.b", [1, {"k": [2]}], {"z": "é"}]"#)) else {
            return XCTFail("not a CALL")
        }
        XCTAssertEqual(call.request, 7)
        XCTAssertEqual(call.procedure, "com.a.b")
        XCTAssertEqual(call.options.bool("receive_progress"), true)
        XCTAssertEqual(call.payload.arguments?.description, #"[1, {"k": [2]}]"#)
        XCTAssertEqual(call.payload.argumentsKw?.description, #"{"z": "é"}"#)
    }

    func testPayloadBytesTravelUnchanged() throws {
        // Spellings jansson would not reproduce if it re-serialised: float forms, exponent,
        // escapes, a number beyond 64 bits, and the \u0000-prefixed binary convention.
        let arguments = #"[0.1, 1e100, 1.0, -0, 9007199254740992, 123456789012345678901234567890, "\u0000AQID", "\u00e9\/", null, []]"#
        let kwargs = #"{"nested": {"list": [], "dict": {}}, "unicode": "日本語 🚀"}"#
        let text = "[70, 12, {}, \(arguments), \(kwargs)]"
        guard case .yield(let yield) = try MessageDecoder.decode(ByteBuffer(string: text)) else { return XCTFail() }
        XCTAssertEqual(yield.payload.arguments?.description, arguments)
        XCTAssertEqual(yield.payload.argumentsKw?.description, kwargs)
        let result = MessageEncoder.encode(.result(Result(request: 3, details: .emptyObject, payload: yield.payload)))
        XCTAssertEqual(result.description, "[50,3,{},\(arguments),\(kwargs)]")
    }

    func testKeywordArgumentsWithoutArgumentsGetAnEmptyList() {
        let payload = Payload(arguments: nil, argumentsKw: RawJSON(#"{"a":1}"#))
        let text = MessageEncoder.encode(.event(Event(subscription: 1, publication: 2, details: .emptyObject, payload: payload))).description
        XCTAssertEqual(text, #"[36,1,2,{},[],{"a":1}]"#)
    }

    func testStringsAreEscapedOnEncode() {
        let text = MessageEncoder.encode(.abort(Abort(reason: "a\"b\\c\n\u{1}", message: "x"))).description
        XCTAssertEqual(text, #"[3,{"message":"x"},"a\"b\\c\n\u0001"]"#)
        XCTAssertNotNil(JSONValue.parse(text))
    }

    func testBuiltDetailsEncodeThroughJansson() {
        let details = JSONValue.makeObject()
        details.set("authid", string: "peter")
        details.set("n", integer: 9_007_199_254_740_992)
        details.set("ok", bool: true)
        let text = MessageEncoder.encode(.welcome(Welcome(session: 1, details: details))).description
        XCTAssertEqual(text, #"[2,1,{"authid":"peter","n":9007199254740992,"ok":true}]"#)
    }

    func testWhitespaceAroundElementsDoesNotLeakIntoPayload() throws {
        let text = "[ 50 ,\n 1 , {} ,\t[ 1 , 2 ] , { \"a\" : 1 } ]"
        guard case .result(let result) = try MessageDecoder.decode(ByteBuffer(string: text)) else { return XCTFail() }
        XCTAssertEqual(result.payload.arguments?.description, "[ 1 , 2 ]")
        XCTAssertEqual(result.payload.argumentsKw?.description, #"{ "a" : 1 }"#)
    }

    func testPayloadStringsWithBracketsAndEscapedQuotesAreScannedCorrectly() throws {
        let arguments = #"["]\"[", {"}": "\\"}]"#
        let text = "[50,1,{},\(arguments),{\"k\":\"]\"}]"
        guard case .result(let result) = try MessageDecoder.decode(ByteBuffer(string: text)) else { return XCTFail() }
        XCTAssertEqual(result.payload.arguments?.description, arguments)
        XCTAssertEqual(result.payload.argumentsKw?.description, #"{"k":"]"}"#)
    }

    func testDecodingASliceWithAReaderIndexOffset() throws {
        var buffer = ByteBuffer(string: "xxxx[50,1,{},[7]]")
        buffer.moveReaderIndex(forwardBy: 4)
        guard case .result(let result) = try MessageDecoder.decode(buffer) else { return XCTFail() }
        XCTAssertEqual(result.payload.arguments?.description, "[7]")
    }

    func testUnsubscribedRevocationFormDecodes() throws {
        guard case .unsubscribed(let message) = try MessageDecoder.decode(ByteBuffer(string: #"[35,0,{"subscription":5,"reason":"x"}]"#)) else {
            return XCTFail()
        }
        XCTAssertEqual(message.request, 0)
        XCTAssertEqual(message.details?.integer("subscription"), 5)
    }
}
