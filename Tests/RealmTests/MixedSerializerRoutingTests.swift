import NIOCore
import XCTest
import Realm
import WampMessages

/// Routing between peers of different serializers and size limits: payloads converted once per
/// serializer, EVENT bytes shared per (subscription, serializer), and what cannot be delivered
/// answered instead of lost.
final class MixedSerializerRoutingTests: XCTestCase {
    private var realm: Realm!

    override func setUp() {
        realm = Realm(name: "realm1")
    }

    private func subscribe(_ session: RealmSession, _ peer: FakePeer, _ topic: String) {
        realm.broker.subscribe(Subscribe(request: 1, options: options(), topic: topic), from: session)
        peer.clear()
    }

    private func register(_ session: RealmSession, _ peer: FakePeer, _ procedure: String) {
        realm.dealer.register(Register(request: 1, options: options(), procedure: procedure), from: session)
        peer.clear()
    }

    /// A MessagePack payload given as bytes: `[NaN]` (float 64), which JSON cannot spell.
    private static let notANumberMsgpack = Payload(
        serialization: .msgpack, argumentsBytes: ByteBuffer(bytes: [0x91, 0xCB, 0x7F, 0xF8, 0, 0, 0, 0, 0, 0]), argumentsKwBytes: nil)

    private func eventValue(_ peer: FakePeer) throws -> WampValue? {
        guard case .event(let event) = peer.messages.last else { return nil }
        return try PayloadConverter.decodeValue(XCTUnwrap(event.payload.argumentsBytes), as: event.payload.serialization)
    }

    func testOneEventReachesEverySerializerWithTheSameValueAndBytesSharedPerSerializer() throws {
        let (publisher, _) = realm.joinFake(1, serialization: .cbor)
        var subscribers: [FakePeer] = []
        for (index, serialization) in [WampSerialization.json, .msgpack, .cbor, .msgpack, .json].enumerated() {
            let (session, peer) = realm.joinFake(WampID(10 + index), serialization: serialization)
            subscribe(session, peer, "com.example.topic")
            subscribers.append(peer)
        }
        let value = WampValue.array([.string("héllo"), .integer(-5), .unsignedInteger(.max), .double(0.1), .binary([0, 1, 255]),
                                     .map([.init("nested", .map([.init("empty", .array([]))]))]), .map([])])
        let payload = Payload(serialization: .cbor, argumentsBytes: try PayloadConverter.encodeValue(value, as: .cbor), argumentsKwBytes: nil)
        XCTAssertNil(realm.broker.publish(Publish(request: 1, options: options(), topic: "com.example.topic", payload: payload), from: publisher))
        for (peer, serialization) in zip(subscribers, [WampSerialization.json, .msgpack, .cbor, .msgpack, .json]) {
            XCTAssertEqual(peer.messages.count, 1)
            XCTAssertEqual(peer.buffers.first.map { _ in peer.serialization }, serialization)
            XCTAssertEqual(try eventValue(peer), value, "\(serialization) subscriber")
        }
        // Same serializer, same subscription: one encoding (the same bytes and transport cache).
        XCTAssertEqual(subscribers[1].buffers, subscribers[3].buffers)
        XCTAssertTrue(subscribers[1].transportCaches[0]! === subscribers[3].transportCaches[0]!)
        XCTAssertTrue(subscribers[0].transportCaches[0]! === subscribers[4].transportCaches[0]!)
        XCTAssertFalse(subscribers[0].transportCaches[0]! === subscribers[1].transportCaches[0]!)
        // The CBOR subscriber gets the publisher's payload bytes as they were.
        guard case .event(let cborEvent) = subscribers[2].messages[0] else { return XCTFail("no EVENT") }
        XCTAssertEqual(cborEvent.payload.argumentsBytes, payload.argumentsBytes)
    }

    func testAPayloadAReceiverCannotRepresentIsNotDeliveredToItAndTheAcknowledgingPublisherGetsAnError() throws {
        let (publisher, publisherPeer) = realm.joinFake(1, serialization: .msgpack)
        let (jsonSession, jsonPeer) = realm.joinFake(2, serialization: .json)
        let (msgpackSession, msgpackPeer) = realm.joinFake(3, serialization: .msgpack)
        subscribe(jsonSession, jsonPeer, "t")
        subscribe(msgpackSession, msgpackPeer, "t")
        let why = realm.broker.publish(Publish(request: 9, options: options(#"{"acknowledge": true}"#), topic: "t",
                                               payload: Self.notANumberMsgpack), from: publisher)
        XCTAssertEqual(msgpackPeer.messages.count, 1, "the MessagePack subscriber gets the event as sent")
        XCTAssertTrue(jsonPeer.messages.isEmpty, "never a changed value for the JSON subscriber")
        guard case .error(let error) = publisherPeer.last else { return XCTFail("no ERROR for the PUBLISH") }
        XCTAssertEqual(error.requestType, .publish)
        XCTAssertEqual(error.request, 9)
        XCTAssertEqual(error.error, "wamp.error.invalid_argument")
        XCTAssertNotNil(why)
        XCTAssertEqual(realm.counters.value(.undeliverable), 1)

        // Without acknowledge the publisher gets no answer (the spec's rule), but the caller is told why to log.
        publisherPeer.clear()
        let silent = realm.broker.publish(Publish(request: 10, options: options(), topic: "t", payload: Self.notANumberMsgpack),
                                          from: publisher)
        XCTAssertTrue(silent?.contains("cannot represent") == true, silent ?? "nil")
        XCTAssertTrue(publisherPeer.messages.isEmpty)
        XCTAssertEqual(realm.counters.value(.undeliverable), 2)
    }

    func testAnEventLargerThanOneSubscriberAcceptsSkipsOnlyThatSubscriber() throws {
        let (publisher, _) = realm.joinFake(1)
        let (small, smallPeer) = realm.joinFake(2, maxMessageSize: 512)
        let (large, largePeer) = realm.joinFake(3)
        subscribe(small, smallPeer, "t")
        subscribe(large, largePeer, "t")
        let big = "[\"" + String(repeating: "x", count: 2_000) + "\"]"
        let why = realm.broker.publish(Publish(request: 1, options: options(), topic: "t", payload: Payload(arguments: RawJSON(big))),
                                       from: publisher)
        XCTAssertEqual(largePeer.messages.count, 1)
        XCTAssertTrue(smallPeer.messages.isEmpty)
        XCTAssertTrue(why?.contains("accept no message this large") == true, why ?? "nil")
        XCTAssertEqual(realm.counters.value(.undeliverable), 1)
    }

    func testAnInvocationTooLargeForTheCalleeEndsTheCallWithPayloadSizeExceeded() throws {
        let (callee, calleePeer) = realm.joinFake(1, serialization: .msgpack, maxMessageSize: 512)
        let (caller, callerPeer) = realm.joinFake(2)
        register(callee, calleePeer, "p")
        let big = "[\"" + String(repeating: "x", count: 2_000) + "\"]"
        try realm.dealer.call(Call(request: 5, options: options(), procedure: "p", payload: Payload(arguments: RawJSON(big))), from: caller)
        XCTAssertTrue(calleePeer.messages.isEmpty)
        guard case .error(let error) = callerPeer.last else { return XCTFail("the caller must not hang") }
        XCTAssertEqual(error.request, 5)
        XCTAssertEqual(error.error, "wamp.error.payload_size_exceeded")
        XCTAssertEqual(realm.dealer.pendingCallCount, 0)

        // A small call to the same callee still works, converted to its serializer.
        try realm.dealer.call(Call(request: 6, options: options(), procedure: "p", payload: Payload(arguments: RawJSON("[1, 0.1]"))), from: caller)
        guard case .invocation(let invocation) = calleePeer.last else { return XCTFail("no INVOCATION") }
        XCTAssertEqual(invocation.payload.serialization, .msgpack)
        XCTAssertEqual(try PayloadConverter.decodeValue(XCTUnwrap(invocation.payload.argumentsBytes), as: .msgpack),
                       .array([.integer(1), .double(0.1)]))
    }

    func testAResultTooLargeForTheCallerBecomesAnErrorForTheCaller() throws {
        let (callee, calleePeer) = realm.joinFake(1)
        let (caller, callerPeer) = realm.joinFake(2, serialization: .msgpack, maxMessageSize: 512)
        register(callee, calleePeer, "p")
        try realm.dealer.call(Call(request: 5, options: options(), procedure: "p"), from: caller)
        guard case .invocation(let invocation) = calleePeer.last else { return XCTFail("no INVOCATION") }
        let big = "[\"" + String(repeating: "x", count: 2_000) + "\"]"
        XCTAssertTrue(try realm.dealer.yield(Yield(request: invocation.request, options: options(), payload: Payload(arguments: RawJSON(big))),
                                             from: callee))
        guard case .error(let callerError) = callerPeer.last else { return XCTFail("the caller must not hang") }
        XCTAssertEqual(callerError.requestType, .call)
        XCTAssertEqual(callerError.error, "wamp.error.payload_size_exceeded")
        // No ERROR for YIELD to the callee (Autobahn|Python drops a session that gets one).
        XCTAssertFalse(calleePeer.messages.contains { if case .error = $0 { true } else { false } })
        XCTAssertEqual(realm.counters.value(.undeliverable), 1)
        XCTAssertEqual(realm.dealer.pendingCallCount, 0)
    }

    func testACallWhosePayloadTheCalleeCannotRepresentIsAnInvalidArgumentError() throws {
        let (callee, calleePeer) = realm.joinFake(1, serialization: .msgpack)
        let (caller, callerPeer) = realm.joinFake(2)
        register(callee, calleePeer, "p")
        try realm.dealer.call(Call(request: 5, options: options(), procedure: "p",
                                   payload: Payload(arguments: RawJSON("[18446744073709551616]"))), from: caller)
        XCTAssertTrue(calleePeer.messages.isEmpty)
        guard case .error(let error) = callerPeer.last else { return XCTFail("no ERROR") }
        XCTAssertEqual(error.error, "wamp.error.invalid_argument")
        XCTAssertTrue(error.details.string("message")?.contains("64 bits") == true, error.details.string("message") ?? "")
        XCTAssertEqual(realm.dealer.pendingCallCount, 0)
    }
}
