import NIOCore
import RawSocketIO
import XCTest

/// Frames on bytes: each type, the X bit, the length bound, split and coalesced frames.
final class RawSocketFrameParserTests: XCTestCase {
    private func frame(_ first: UInt8, _ payload: [UInt8]) -> [UInt8] {
        let length = payload.count
        return [first, UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)] + payload
    }

    private func events(_ bytes: [UInt8], maxLength: Int = 1 << 24) throws(RawSocketFrameParser.Failure) -> [RawSocketFrameParser.Event] {
        let parser = RawSocketFrameParser(maxLength: maxLength)
        var buffer = ByteBuffer(bytes: bytes)
        var out: [RawSocketFrameParser.Event] = []
        while let event = try parser.next(&buffer) { out.append(event) }
        return out
    }

    func testEachTypeInOneBuffer() throws {
        let bytes = frame(0, Array("hello".utf8)) + frame(1, [1, 2, 3]) + frame(2, []) + frame(0, [])
        XCTAssertEqual(try events(bytes), [
            .message(ByteBuffer(string: "hello")), .ping(ByteBuffer(bytes: [1, 2, 3])), .pong(ByteBuffer()), .message(ByteBuffer()),
        ])
    }

    func testSplitAtEveryOctetGivesTheSameFrames() throws {
        let bytes = frame(0, Array(#"[1,"realm1",{}]"#.utf8)) + frame(1, [9, 8])
        let parser = RawSocketFrameParser(maxLength: 1024)
        var buffer = ByteBuffer()
        var out: [RawSocketFrameParser.Event] = []
        for octet in bytes {
            buffer.writeInteger(octet)
            while let event = try parser.next(&buffer) { out.append(event) }
        }
        XCTAssertEqual(out, [.message(ByteBuffer(string: #"[1,"realm1",{}]"#)), .ping(ByteBuffer(bytes: [9, 8]))])
        XCTAssertEqual(buffer.readableBytes, 0)
    }

    func testIncompleteFrameIsLeftInTheBuffer() throws {
        let parser = RawSocketFrameParser(maxLength: 1024)
        var buffer = ByteBuffer(bytes: frame(0, [1, 2, 3, 4]).dropLast())
        XCTAssertNil(try parser.next(&buffer))
        XCTAssertEqual(buffer.readableBytes, 7)
    }

    func testMaximumLengthIsInclusiveAndOneMoreFailsFromTheHeader() throws {
        XCTAssertEqual(try events(frame(0, [UInt8](repeating: 7, count: 512)), maxLength: 512).count, 1)
        let parser = RawSocketFrameParser(maxLength: 512)
        var header = ByteBuffer(bytes: [0, 0, 0x02, 0x01])  // 513, no payload yet
        XCTAssertThrowsError(try parser.next(&header)) { error in
            XCTAssertEqual(error as? RawSocketFrameParser.Failure, .tooLong(length: 513, maxLength: 512))
        }
        var ping = ByteBuffer(bytes: [1, 0, 0x02, 0x01])
        XCTAssertThrowsError(try parser.next(&ping), "a PING is bounded too")
    }

    func testXBitMeansExactly16MiB() throws {
        let parser = RawSocketFrameParser(maxLength: 1 << 24)
        var buffer = ByteBuffer(bytes: [0x08, 0, 0, 0])
        buffer.writeRepeatingByte(0x41, count: 1 << 24)
        guard case .message(let payload) = try parser.next(&buffer) else { return XCTFail("no message") }
        XCTAssertEqual(payload.readableBytes, 1 << 24)

        var short = ByteBuffer(bytes: [0x08, 0, 0, 0])
        XCTAssertThrowsError(try RawSocketFrameParser(maxLength: 1 << 23).next(&short)) { error in
            XCTAssertEqual(error as? RawSocketFrameParser.Failure, .tooLong(length: 1 << 24, maxLength: 1 << 23))
        }
        var mixed = ByteBuffer(bytes: [0x08, 0, 0, 1])
        XCTAssertThrowsError(try parser.next(&mixed)) { error in
            XCTAssertEqual(error as? RawSocketFrameParser.Failure, .invalidExtraLengthBit(lowBits: 1))
        }
    }

    func testReservedTypesAndBitsFail() {
        for type in UInt8(3)...7 {
            XCTAssertThrowsError(try events(frame(type, []))) { error in
                XCTAssertEqual(error as? RawSocketFrameParser.Failure, .reservedType(type))
            }
        }
        for bits in UInt8(1)...15 {
            XCTAssertThrowsError(try events(frame(bits << 4, []))) { error in
                XCTAssertEqual(error as? RawSocketFrameParser.Failure, .reservedBits(bits))
            }
        }
    }

    func testWriterSetsTheXBitOnlyFor16MiB() {
        XCTAssertEqual(RawSocketFrameWriter.header(.message, length: 1 << 24), 0x0800_0000)
        XCTAssertEqual(RawSocketFrameWriter.header(.message, length: (1 << 24) - 1), 0x00FF_FFFF)
        XCTAssertEqual(RawSocketFrameWriter.header(.ping, length: 5), 0x0100_0005)
        XCTAssertEqual(RawSocketFrameWriter.header(.pong, length: 0), 0x0200_0000)
        let frame = RawSocketFrameWriter.frame(payload: ByteBuffer(string: "ab"))
        XCTAssertEqual(frame.getBytes(at: 0, length: 6), [0, 0, 0, 2, 0x61, 0x62])
    }

    func testWriterOutputParsesBack() throws {
        for length in [0, 1, 255, 256, 65535, 65536, 70000] {
            let payload = ByteBuffer(repeating: 0x5A, count: length)
            var buffer = RawSocketFrameWriter.frame(.ping, payload: payload)
            XCTAssertEqual(try RawSocketFrameParser(maxLength: 1 << 24).next(&buffer), .ping(payload))
        }
    }
}
