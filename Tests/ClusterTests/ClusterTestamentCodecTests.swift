@testable import Cluster
import NIOCore
import Realm
import WampMessages
import XCTest

/// The value of a `wamp_testaments` key, on bytes: what another node decodes after this one died.
final class ClusterTestamentCodecTests: XCTestCase {
    private func sample() -> SessionTestaments {
        SessionTestaments(session: 1 << 44 | 5, authid: "alice", authrole: "user", change: 9, detached: [
            Testament(topic: "com.a", payload: Payload(arguments: RawJSON("[1]"), argumentsKw: RawJSON(#"{"k":"v"}"#)),
                      publishOptions: JSONValue.parse(#"{"disclose_me":true,"exclude":[3]}"#)!),
        ], destroyed: [
            Testament(topic: "com.b", payload: .empty, publishOptions: .emptyObject),
            Testament(topic: "com.c", payload: Payload(serialization: .cbor, argumentsBytes: ByteBuffer(bytes: [0x81, 0x01]),
                                                       argumentsKwBytes: nil), publishOptions: .emptyObject),
        ])
    }

    func testRoundTripKeepsScopesOrderPayloadsAndOptions() throws {
        let back = try ClusterTestamentCodec.decode(ClusterTestamentCodec.encode(sample()))
        XCTAssertEqual(back.session, 1 << 44 | 5)
        XCTAssertEqual(back.authid, "alice")
        XCTAssertEqual(back.authrole, "user")
        XCTAssertEqual(back.detached.map(\.topic), ["com.a"])
        XCTAssertEqual(back.destroyed.map(\.topic), ["com.b", "com.c"])
        XCTAssertEqual(back.detached[0].payload.arguments?.description, "[1]")
        XCTAssertEqual(back.detached[0].payload.argumentsKw?.description, #"{"k":"v"}"#)
        XCTAssertEqual(back.detached[0].publishOptions.bool("disclose_me"), true)
        XCTAssertNil(back.destroyed[0].payload.argumentsBytes)
        XCTAssertEqual(back.destroyed[1].payload.serialization, .cbor)
        XCTAssertEqual(back.destroyed[1].payload.argumentsBytes, ByteBuffer(bytes: [0x81, 0x01]))
        XCTAssertEqual(try ClusterTestamentCodec.decode(ClusterTestamentCodec.encode(SessionTestaments(session: 1, authid: "", authrole: ""))).count, 0)
    }

    /// Every truncation, every byte changed to 0xFF, and bytes appended: an error or a value,
    /// never a crash (the fuzz target's property, on this one sample).
    func testHostileValuesAreRefusedNotTrusted() {
        let bytes = ClusterTestamentCodec.encode(sample())
        for length in 0..<bytes.readableBytes {
            XCTAssertThrowsError(try ClusterTestamentCodec.decode(bytes.getSlice(at: 0, length: length)!), "length \(length)")
        }
        for index in 0..<bytes.readableBytes {
            var changed = bytes
            changed.setInteger(UInt8(0xFF), at: index)
            _ = try? ClusterTestamentCodec.decode(changed)
        }
        var longer = bytes
        longer.writeInteger(UInt8(0))
        XCTAssertThrowsError(try ClusterTestamentCodec.decode(longer))
        // A count no value of this size can hold is refused before anything is read for it.
        var lying = ByteBuffer()
        lying.writeInteger(UInt8(1))
        lying.writeInteger(UInt64(1))
        lying.writeInteger(UInt32(0))
        lying.writeInteger(UInt32(0))
        lying.writeInteger(UInt16.max)
        XCTAssertThrowsError(try ClusterTestamentCodec.decode(lying)) { error in
            XCTAssertEqual((error as? ClusterTestamentCodec.Malformed)?.reason, "more testaments than the value holds")
        }
    }
}
