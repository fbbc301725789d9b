import NIOCore
import XCTest
@testable import WampMessages

/// The WAMP spec's conformance vectors (`WampProtoVectors`): each MessagePack sample decodes to
/// the meaning of its JSON sample, and encoding it again gives the sample's bytes (the spec's
/// "at least one variant" rule; each sample has one MessagePack variant).
final class MsgpackSpecVectorTests: XCTestCase {
    private let bytes = MsgpackTestSupport.bytes
    private let hex = MsgpackTestSupport.hex

    func testEveryVectorDecodesToItsJSONMeaningAndEncodesByteExact() throws {
        var checked = 0, refused = 0
        for sample in WampProtoVectors.samples {
            let wire = bytes(sample.msgpackHex)
            guard MessageCode(rawValue: sample.code) != nil else {
                // A message type this router does not implement (EVENT_RECEIVED): refused by code.
                XCTAssertThrowsError(try MsgpackMessageDecoder.decode(wire), sample.description) { error in
                    XCTAssertEqual((error as? WampDecodeError)?.kind, .unknownMessageCode, sample.description)
                }
                continue
            }
            let json: WampMessage
            do {
                json = try MessageDecoder.decode(ByteBuffer(string: sample.json))
            } catch {
                // Refused as JSON (payload passthru mode: a binary where Arguments|list is due):
                // refused the same way as MessagePack.
                XCTAssertThrowsError(try MsgpackMessageDecoder.decode(wire), sample.description) { msgpackError in
                    XCTAssertEqual(msgpackError as? WampDecodeError, error, sample.description)
                }
                refused += 1
                continue
            }
            let message = try MsgpackMessageDecoder.decode(wire)
            XCTAssertEqual(message.code.rawValue, sample.code, sample.description)
            XCTAssertEqual(MsgpackTestSupport.envelopeJSON(message), MsgpackTestSupport.envelopeJSON(json), sample.description)
            XCTAssertEqual(message.payload?.argumentsBytes.map(hex),
                           try json.payload?.arguments.map { hex(try MsgpackTestSupport.msgpack(fromJSON: $0.description)) },
                           sample.description)
            XCTAssertEqual(message.payload?.argumentsKwBytes.map(hex),
                           try json.payload?.argumentsKw.map { hex(try MsgpackTestSupport.msgpack(fromJSON: $0.description)) },
                           sample.description)
            XCTAssertEqual(hex(try MsgpackMessageEncoder.encode(message)), sample.msgpackHex, sample.description)
            checked += 1
        }
        XCTAssertGreaterThanOrEqual(checked, 28)
        XCTAssertLessThanOrEqual(refused, 4)
    }
}
