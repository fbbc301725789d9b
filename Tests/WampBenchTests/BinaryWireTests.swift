import NIOCore
import XCTest

@testable import WampBench

/// The bench's hand-written MessagePack and CBOR messages, checked byte for byte against the
/// formats' specifications, and its scanners on values a router may send.
final class BinaryWireTests: XCTestCase {
    private func bytes(_ body: (inout ByteBuffer) -> Void) -> [UInt8] {
        var buffer = ByteBuffer()
        body(&buffer)
        return Array(buffer.readableBytesView)
    }

    private let benchEcho = Array("bench.echo".utf8)

    func testMsgpackCallIsTheSpecEncoding() {
        let call = bytes { MsgpackBenchWire.writeCall(request: 1, procedure: "bench.echo", sent: 5, to: &$0) }
        // fixarray 5, fixint 48, fixint 1, fixmap 0, fixstr 10, fixarray 1, fixint 5
        XCTAssertEqual(call, [0x95, 0x30, 0x01, 0x80, 0xAA] + benchEcho + [0x91, 0x05])
    }

    func testCBORCallIsTheSpecEncoding() {
        let call = bytes { CBORBenchWire.writeCall(request: 1, procedure: "bench.echo", sent: 5, to: &$0) }
        // array(5), uint 48 (one-byte argument), uint 1, map(0), text(10), array(1), uint 5
        XCTAssertEqual(call, [0x85, 0x18, 0x30, 0x01, 0xA0, 0x6A] + benchEcho + [0x81, 0x05])
    }

    func testMsgpackIntegersUseTheSmallestForm() {
        XCTAssertEqual(bytes { MsgpackBenchWire.writeUInt(127, to: &$0) }, [0x7F])
        XCTAssertEqual(bytes { MsgpackBenchWire.writeUInt(128, to: &$0) }, [0xCC, 0x80])
        XCTAssertEqual(bytes { MsgpackBenchWire.writeUInt(256, to: &$0) }, [0xCD, 0x01, 0x00])
        XCTAssertEqual(bytes { MsgpackBenchWire.writeUInt(65_536, to: &$0) }, [0xCE, 0x00, 0x01, 0x00, 0x00])
        XCTAssertEqual(bytes { MsgpackBenchWire.writeUInt(1 << 32, to: &$0) }, [0xCF, 0, 0, 0, 1, 0, 0, 0, 0])
    }

    func testCBORIntegersUseTheShortestHead() {
        XCTAssertEqual(bytes { CBORBenchWire.writeUInt(23, to: &$0) }, [0x17])
        XCTAssertEqual(bytes { CBORBenchWire.writeUInt(24, to: &$0) }, [0x18, 0x18])
        XCTAssertEqual(bytes { CBORBenchWire.writeUInt(256, to: &$0) }, [0x19, 0x01, 0x00])
        XCTAssertEqual(bytes { CBORBenchWire.writeUInt(65_536, to: &$0) }, [0x1A, 0x00, 0x01, 0x00, 0x00])
        XCTAssertEqual(bytes { CBORBenchWire.writeUInt(1 << 32, to: &$0) }, [0x1B, 0, 0, 0, 1, 0, 0, 0, 0])
    }

    func testLongStringsGetWiderHeaders() {
        XCTAssertEqual(Array(MsgpackBenchWire.padding(count: 40).readableBytesView.prefix(2)), [0xD9, 40])
        XCTAssertEqual(MsgpackBenchWire.padding(count: 40).readableBytes, 42)
        XCTAssertEqual(Array(CBORBenchWire.padding(count: 300).readableBytesView.prefix(3)), [0x79, 0x01, 0x2C])
        XCTAssertEqual(CBORBenchWire.padding(count: 300).readableBytes, 303)
    }

    func testMsgpackAcknowledgedPublishWithPadding() {
        let padding = MsgpackBenchWire.padding(count: 3)
        let publish = bytes {
            MsgpackBenchWire.writePublish(request: 2, acknowledge: true, topic: "t", seq: 9, sent: 300, padding: padding, to: &$0)
        }
        XCTAssertEqual(publish, [0x95, 0x10, 0x02, 0x81, 0xAB] + Array("acknowledge".utf8) + [0xC3, 0xA1, 0x74,
                                 0x93, 0x09, 0xCD, 0x01, 0x2C, 0xA3, 0x78, 0x78, 0x78])
    }

    /// [36, 5, 6, {"publisher": 7, "x": [1.5, null]}, [9, 300, "xxx"]] read by the scanner as the
    /// subscriber does: every kind of detail value is skipped.
    func testMsgpackScannerReadsAnEventPastAnyDetails() {
        let event: [UInt8] = [0x95, 0x24, 0x05, 0x06,
                              0x82, 0xA9] + Array("publisher".utf8) + [0x07, 0xA1, 0x78,
                              0x92, 0xCB, 0x3F, 0xF8, 0, 0, 0, 0, 0, 0, 0xC0,
                              0x93, 0x09, 0xCD, 0x01, 0x2C, 0xA3, 0x78, 0x78, 0x78]
        event.withUnsafeBytes { raw in
            var scanner = MsgpackBenchScanner(raw)
            XCTAssertEqual(scanner.readArrayLength(), .count(5))
            XCTAssertEqual(scanner.readUInt(), 36)
            XCTAssertEqual(scanner.readUInt(), 5)
            XCTAssertEqual(scanner.readUInt(), 6)
            XCTAssertTrue(scanner.skipValue())
            XCTAssertEqual(scanner.readArrayLength(), .count(3))
            XCTAssertEqual(scanner.readUInt(), 9)
            XCTAssertEqual(scanner.readUInt(), 300)
        }
    }

    func testMsgpackSkipsBinaryExtAndWideContainers() {
        // [bin8 2 bytes, fixext4, str16 "ab", array16 [true], map16 {1: -1}, int64, float32]
        let value: [UInt8] = [0x97, 0xC4, 0x02, 0xAA, 0xBB, 0xD6, 0x01, 1, 2, 3, 4, 0xDA, 0x00, 0x02, 0x61, 0x62,
                              0xDC, 0x00, 0x01, 0xC3, 0xDE, 0x00, 0x01, 0x01, 0xFF,
                              0xD3, 0, 0, 0, 0, 0, 0, 0, 1, 0xCA, 0, 0, 0, 0, 0x2A]
        value.withUnsafeBytes { raw in
            var scanner = MsgpackBenchScanner(raw)
            XCTAssertTrue(scanner.skipValue())
            XCTAssertEqual(scanner.readUInt(), 42)
            XCTAssertEqual(scanner.index, raw.count)
        }
    }

    func testMsgpackScannerRefusesTruncatedAndLyingInput() {
        let cases: [[UInt8]] = [
            [0x92, 0x01],                    // array of 2 with one item
            [0xDD, 0xFF, 0xFF, 0xFF, 0xFF],  // array of 4 billion items in 5 bytes
            [0xDB, 0x7F, 0xFF, 0xFF, 0xFF],  // string of 2 GiB
            [0xC1],                          // never used
            [0xCF, 0x00],                    // truncated uint64
        ]
        for input in cases {
            input.withUnsafeBytes { raw in
                var scanner = MsgpackBenchScanner(raw)
                XCTAssertFalse(scanner.skipValue(), "\(input)")
            }
        }
        [UInt8]([0xCF, 0x00]).withUnsafeBytes { raw in
            var scanner = MsgpackBenchScanner(raw)
            XCTAssertNil(scanner.readUInt())
        }
    }

    func testCBORScannerReadsAnEventPastTagsFloatsAndIndefiniteItems() {
        // [36, 5, 6, {_ "a": tag 1 (1.5 as half float), "b": (_ "x" "y")}, [9, 300]] with an
        // indefinite map of details and an indefinite text string.
        let event: [UInt8] = [0x85, 0x18, 0x24, 0x05, 0x06,
                              0xBF, 0x61, 0x61, 0xC1, 0xF9, 0x3E, 0x00, 0x61, 0x62, 0x7F, 0x61, 0x78, 0x61, 0x79, 0xFF, 0xFF,
                              0x82, 0x09, 0x19, 0x01, 0x2C]
        event.withUnsafeBytes { raw in
            var scanner = CBORBenchScanner(raw)
            XCTAssertEqual(scanner.readArrayLength(), .count(5))
            XCTAssertEqual(scanner.readUInt(), 36)
            XCTAssertEqual(scanner.readUInt(), 5)
            XCTAssertEqual(scanner.readUInt(), 6)
            XCTAssertTrue(scanner.skipValue())
            XCTAssertEqual(scanner.readArrayLength(), .count(2))
            XCTAssertEqual(scanner.readUInt(), 9)
            XCTAssertEqual(scanner.readUInt(), 300)
            XCTAssertEqual(scanner.index, raw.count)
        }
    }

    func testCBORScannerRefusesTruncatedLyingAndTooDeepInput() {
        let tooDeep = [UInt8](repeating: 0x81, count: 200) + [0x00]
        let cases: [[UInt8]] = [
            [0x82, 0x01],                          // array of 2 with one item
            [0x9B, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF],  // array of 2^64-1 items
            [0x7A, 0x7F, 0xFF, 0xFF, 0xFF],        // text of 2 GiB
            [0x9F, 0x01],                          // indefinite array without its break
            [0x1C],                                // reserved additional information
            [0xFF],                                // a break where an item belongs
            tooDeep,
        ]
        for input in cases {
            input.withUnsafeBytes { raw in
                var scanner = CBORBenchScanner(raw)
                XCTAssertFalse(scanner.skipValue(), "\(input.prefix(12))")
            }
        }
    }

    /// The callee answers an INVOCATION with its arguments copied as they came, whatever their
    /// form: the YIELD has one item fewer, or stays indefinite (CBOR).
    func testYieldCopiesTheInvocationArguments() {
        let invocation: [UInt8] = [0x95, 0x44, 0x07, 0x01, 0x80, 0x91, 0x05]  // [68, 7, 1, {}, [5]]
        let yield = invocation.withUnsafeBytes { raw -> [UInt8] in
            var scanner = MsgpackBenchScanner(raw)
            let length = scanner.readArrayLength()!
            XCTAssertEqual(scanner.readUInt(), 68)
            let request = scanner.readUInt()!
            _ = scanner.readUInt()
            XCTAssertTrue(scanner.skipValue())
            return bytes {
                MsgpackBenchWire.writeYield(request: request, invocationLength: length,
                                            rest: UnsafeRawBufferPointer(rebasing: raw[scanner.index...]), to: &$0)
            }
        }
        XCTAssertEqual(yield, [0x94, 0x46, 0x07, 0x80, 0x91, 0x05])  // [70, 7, {}, [5]]

        let indefinite: [UInt8] = [0x9F, 0x18, 0x44, 0x07, 0x01, 0xA0, 0x81, 0x05, 0xFF]  // [_ 68, 7, 1, {}, [5]]
        let cborYield = indefinite.withUnsafeBytes { raw -> [UInt8] in
            var scanner = CBORBenchScanner(raw)
            let length = scanner.readArrayLength()!
            XCTAssertEqual(length, .indefinite)
            XCTAssertEqual(scanner.readUInt(), 68)
            let request = scanner.readUInt()!
            _ = scanner.readUInt()
            XCTAssertTrue(scanner.skipValue())
            return bytes {
                CBORBenchWire.writeYield(request: request, invocationLength: length,
                                         rest: UnsafeRawBufferPointer(rebasing: raw[scanner.index...]), to: &$0)
            }
        }
        XCTAssertEqual(cborYield, [0x9F, 0x18, 0x46, 0x07, 0xA0, 0x81, 0x05, 0xFF])  // [_ 70, 7, {}, [5]]
    }
}
