import NIOCore
import WampMessages
import XCTest

@testable import WampBench

/// Every message the bench writes by hand in MessagePack and CBOR is what the router's own
/// decoders read: the same fields, the arguments left as the bench's bytes.
final class BinaryWireDecodeTests: XCTestCase {
    private func decode<Wire: BinaryWire>(_ wire: Wire.Type, _ serialization: WampSerialization,
                                          _ body: (inout ByteBuffer) -> Void) throws -> WampMessage {
        var buffer = ByteBuffer()
        body(&buffer)
        return try serialization.decode(buffer)
    }

    private func check<Wire: BinaryWire>(_ wire: Wire.Type, _ serialization: WampSerialization) throws {
        guard case .hello(let hello) = try decode(wire, serialization, { Wire.writeHello(realm: "realm1", to: &$0) }) else {
            return XCTFail("not a HELLO")
        }
        XCTAssertEqual(hello.realm, "realm1")
        XCTAssertEqual(hello.details.object("roles")?.keys.sorted(), ["callee", "caller", "publisher", "subscriber"])

        guard case .call(let call) = try decode(wire, serialization, {
            Wire.writeCall(request: 7, procedure: "bench.echo", sent: 1_700_000_000_000_000_000, to: &$0)
        }) else { return XCTFail("not a CALL") }
        XCTAssertEqual(call.request, 7)
        XCTAssertEqual(call.procedure, "bench.echo")
        XCTAssertEqual(call.payload.serialization, serialization)
        var arguments = ByteBuffer()
        Wire.writeArray(1, to: &arguments)
        Wire.writeUInt(1_700_000_000_000_000_000, to: &arguments)
        XCTAssertEqual(call.payload.argumentsBytes, arguments)
        XCTAssertNil(call.payload.argumentsKwBytes)

        let padding = Wire.padding(count: 100)
        guard case .publish(let publish) = try decode(wire, serialization, {
            Wire.writePublish(request: 8, acknowledge: true, topic: "bench.topic", seq: 3, sent: 4, padding: padding, to: &$0)
        }) else { return XCTFail("not a PUBLISH") }
        XCTAssertEqual(publish.request, 8)
        XCTAssertEqual(publish.topic, "bench.topic")
        XCTAssertEqual(publish.options.bool("acknowledge"), true)
        XCTAssertEqual(publish.payload.argumentsBytes?.readableBytes, 1 + 1 + 1 + padding.readableBytes)

        guard case .publish(let plain) = try decode(wire, serialization, {
            Wire.writePublish(request: 9, acknowledge: false, topic: "bench.topic", seq: 3, sent: 4, padding: nil, to: &$0)
        }) else { return XCTFail("not a PUBLISH") }
        XCTAssertEqual(plain.options.count, 0)

        guard case .register(let register) = try decode(wire, serialization, {
            Wire.writeRegistration(code: 64, request: 1, match: "wildcard", uri: "bench.", to: &$0)
        }) else { return XCTFail("not a REGISTER") }
        XCTAssertEqual(register.procedure, "bench.")
        XCTAssertEqual(register.options.string("match"), "wildcard")

        guard case .subscribe(let subscribe) = try decode(wire, serialization, {
            Wire.writeRegistration(code: 32, request: 2, match: nil, uri: "bench.topic", to: &$0)
        }) else { return XCTFail("not a SUBSCRIBE") }
        XCTAssertEqual(subscribe.request, 2)
        XCTAssertEqual(subscribe.topic, "bench.topic")

        guard case .goodbye(let goodbye) = try decode(wire, serialization, {
            Wire.writeGoodbye(reason: "wamp.close.normal", to: &$0)
        }) else { return XCTFail("not a GOODBYE") }
        XCTAssertEqual(goodbye.reason, "wamp.close.normal")

        // An INVOCATION [68, 5, 6, {}, [1], {"k": 2}] answered with the bench's YIELD.
        var rest = ByteBuffer()
        Wire.writeArray(1, to: &rest)
        Wire.writeUInt(1, to: &rest)
        Wire.writeMapHeader(1, to: &rest)
        Wire.writeString("k", to: &rest)
        Wire.writeUInt(2, to: &rest)
        let restBytes = Array(rest.readableBytesView)
        let yieldMessage = try restBytes.withUnsafeBytes { raw in
            try decode(wire, serialization) { Wire.writeYield(request: 5, invocationLength: .count(6), rest: raw, to: &$0) }
        }
        guard case .yield(let yield) = yieldMessage else { return XCTFail("not a YIELD") }
        XCTAssertEqual(yield.request, 5)
        XCTAssertEqual(yield.payload.argumentsBytes.map { Array($0.readableBytesView) }, Array(restBytes.prefix(2)))
        XCTAssertEqual(yield.payload.argumentsKwBytes.map { Array($0.readableBytesView) }, Array(restBytes.dropFirst(2)))
    }

    func testMsgpackMessagesDecodeWithTheRoutersDecoder() throws {
        try check(MsgpackBenchWire.self, .msgpack)
    }

    func testCBORMessagesDecodeWithTheRoutersDecoder() throws {
        try check(CBORBenchWire.self, .cbor)
    }

    /// The router's encoders' EVENT, RESULT and INVOCATION, read by the bench's scanners as its
    /// peers read them.
    func testScannersReadTheRoutersEncoding() throws {
        for serialization in [WampSerialization.msgpack, .cbor] {
            var arguments = ByteBuffer()
            if serialization == .msgpack {
                MsgpackBenchWire.writeArray(2, to: &arguments)
                MsgpackBenchWire.writeUInt(11, to: &arguments)
                MsgpackBenchWire.writeUInt(1_700_000_000_000_000_000, to: &arguments)
            } else {
                CBORBenchWire.writeArray(2, to: &arguments)
                CBORBenchWire.writeUInt(11, to: &arguments)
                CBORBenchWire.writeUInt(1_700_000_000_000_000_000, to: &arguments)
            }
            let payload = Payload(serialization: serialization, argumentsBytes: arguments, argumentsKwBytes: nil)
            let details = JSONValue.makeObject()
            details.set("publisher", JSONValue.makeArray())
            let event = try serialization.encode(.event(Event(subscription: 3, publication: 4, details: details, payload: payload)))
            let read = event.bytes.withUnsafeReadableBytes { raw -> (UInt64?, UInt64?) in
                if serialization == .msgpack {
                    var s = MsgpackBenchScanner(raw)
                    guard s.readArrayLength() != nil, s.readUInt() == 36, s.readUInt() == 3, s.readUInt() == 4, s.skipValue(),
                          s.readArrayLength() == .count(2) else { return (nil, nil) }
                    return (s.readUInt(), s.readUInt())
                }
                var s = CBORBenchScanner(raw)
                guard s.readArrayLength() != nil, s.readUInt() == 36, s.readUInt() == 3, s.readUInt() == 4, s.skipValue(),
                      s.readArrayLength() == .count(2) else { return (nil, nil) }
                return (s.readUInt(), s.readUInt())
            }
            XCTAssertEqual(read.0, 11, "\(serialization)")
            XCTAssertEqual(read.1, 1_700_000_000_000_000_000, "\(serialization)")
        }
    }
}
