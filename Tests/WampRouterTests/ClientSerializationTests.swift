import WampClient
import WampMessages
import XCTest

/// The client on each serializer, end to end through the router, across serializers: the
/// values a caller sends are the values the callee reads and the caller gets back.
final class ClientSerializationTests: RouterTestCase {
    static let values: [WampValue] = [1, -7, "two", 3.5, true, nil, .binary([0, 1, 255]), ["k": [1, 2], "e": [:]], []]
    static let keywords: [String: WampValue] = ["big": .unsignedInteger(UInt64.max), "text": "日本語 ✓", "bytes": .binary([9])]

    private func connect(_ serialization: WampSerialization) async throws -> WampClient {
        try await WampClient.connect(port: port, realm: "realm1", serialization: serialization)
    }

    func testRPCBetweenEveryPairOfSerializers() async throws {
        for calleeSerialization in WampSerialization.allCases {
            let callee = try await connect(calleeSerialization)
            XCTAssertEqual(callee.serialization, calleeSerialization)
            let procedure = "com.example.echo.\(calleeSerialization)"
            _ = try await callee.register(procedure) { invocation in
                XCTAssertEqual(try invocation.payload.argumentValues(), Self.values, "\(calleeSerialization)")
                XCTAssertEqual(try invocation.payload.keywordValues(), Self.keywords, "\(calleeSerialization)")
                return invocation.payload
            }
            for callerSerialization in WampSerialization.allCases {
                let caller = try await connect(callerSerialization)
                let result = try await caller.call(procedure, values: Self.values, keywords: Self.keywords)
                XCTAssertEqual(result.payload.serialization, callerSerialization)
                XCTAssertEqual(try result.payload.argumentValues(), Self.values, "\(calleeSerialization) -> \(callerSerialization)")
                XCTAssertEqual(try result.payload.keywordValues(), Self.keywords, "\(calleeSerialization) -> \(callerSerialization)")
                try await caller.leave()
            }
            try await callee.leave()
        }
    }

    func testEventsReachSubscribersOfEverySerializer() async throws {
        var subscribers: [WampClient] = []
        let received = Recorder<[WampValue]>()
        for serialization in WampSerialization.allCases {
            let subscriber = try await connect(serialization)
            _ = try await subscriber.subscribe("com.example.mixed") { event in
                received.append((try? event.payload.argumentValues()) ?? [])
            }
            subscribers.append(subscriber)
        }
        for serialization in WampSerialization.allCases {
            let publisher = try await connect(serialization)
            try await publisher.publish("com.example.mixed", values: Self.values, acknowledge: true)
            try await publisher.leave()
        }
        let events = try await received.wait(for: 9)
        XCTAssertEqual(events.count, 9)
        for values in events { XCTAssertEqual(values, Self.values) }
        for subscriber in subscribers { try await subscriber.leave() }
    }

    func testProgressiveResultsAndCancelOverBinarySerializers() async throws {
        let callee = try await connect(.cbor)
        let caller = try await connect(.msgpack)
        _ = try await callee.register("com.example.count") { _, context in
            for i in 1...3 { try context.sendProgress(values: [.integer(Int64(i))]) }
            return try Payload(values: [.binary([4])], serialization: .cbor)
        }
        var seen: [WampValue] = []
        for try await result in caller.callProgressive("com.example.count", values: []) {
            seen += try result.payload.argumentValues()
        }
        XCTAssertEqual(seen, [1, 2, 3, .binary([4])])
    }

    func testValueTheSerializerCannotWriteIsRefusedBeforeSending() async throws {
        let caller = try await connect(.json)
        do {
            _ = try await caller.call("com.example.any", values: [.double(.infinity)])
            XCTFail("an infinite double went out as JSON")
        } catch WampClientError.unencodable {
        }
    }
}
