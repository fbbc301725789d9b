import NIOCore
import XCTest

@testable import WebSocketIO

final class WebSocketExtensionParametersTests: XCTestCase {
    func testParsesSeveralOffersWithParameters() throws {
        let parsed = try WebSocketExtensionParameters.parse(
            headerValue: "permessage-deflate; client_max_window_bits; server_max_window_bits=10, permessage-deflate ;client_no_context_takeover, x-foo; a=\"quoted, value\""
        )
        XCTAssertEqual(parsed.count, 3)
        XCTAssertEqual(parsed[0].name, "permessage-deflate")
        XCTAssertEqual(parsed[0].parameters, [
            .init(name: "client_max_window_bits", value: nil),
            .init(name: "server_max_window_bits", value: "10"),
        ])
        XCTAssertEqual(parsed[1].parameters, [.init(name: "client_no_context_takeover", value: nil)])
        XCTAssertEqual(parsed[2].name, "x-foo")
        XCTAssertEqual(parsed[2].parameters, [.init(name: "a", value: "quoted, value")])
    }

    func testSeveralHeaderValues() throws {
        let parsed = try WebSocketExtensionParameters.parse(headerValues: ["a", "b; c=1"])
        XCTAssertEqual(parsed.map(\.name), ["a", "b"])
    }

    func testMalformedHeadersThrow() {
        XCTAssertThrowsError(try WebSocketExtensionParameters.parse(headerValue: "; a"))
        XCTAssertThrowsError(try WebSocketExtensionParameters.parse(headerValue: "a; =1"))
        XCTAssertThrowsError(try WebSocketExtensionParameters.parse(headerValue: "a; b=\"open"))
        XCTAssertThrowsError(try WebSocketExtensionParameters.parse(headerValue: "a b"))
    }

    func testHeaderValueRoundTrip() throws {
        let ext = WebSocketExtensionParameters(name: "permessage-deflate", parameters: [
            .init(name: "server_no_context_takeover", value: nil), .init(name: "server_max_window_bits", value: "12"),
        ])
        XCTAssertEqual(ext.headerValue, "permessage-deflate; server_no_context_takeover; server_max_window_bits=12")
        XCTAssertEqual(try WebSocketExtensionParameters.parse(headerValue: ext.headerValue), [ext])
    }
}

final class PerMessageDeflateNegotiationTests: XCTestCase {
    private func accept(_ header: String) throws -> (PerMessageDeflateConfiguration, String)? {
        let offers = try WebSocketExtensionParameters.parse(headerValue: header)
        return PerMessageDeflateNegotiation.serverAccept(offers: offers).map { ($0.configuration, $0.response.headerValue) }
    }

    func testPlainOffer() throws {
        let accepted = try XCTUnwrap(try self.accept("permessage-deflate"))
        XCTAssertEqual(accepted.1, "permessage-deflate")
        XCTAssertEqual(accepted.0, PerMessageDeflateConfiguration())
    }

    func testAllParameters() throws {
        let accepted = try XCTUnwrap(try self.accept(
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=10"
        ))
        XCTAssertEqual(accepted.0, PerMessageDeflateConfiguration(
            sendMaxWindowBits: 9, sendNoContextTakeover: true, receiveMaxWindowBits: 10, receiveNoContextTakeover: true
        ))
        XCTAssertEqual(accepted.1, "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=10")
    }

    func testClientMaxWindowBitsWithoutValueIsNotEchoed() throws {
        let accepted = try XCTUnwrap(try self.accept("permessage-deflate; client_max_window_bits"))
        XCTAssertEqual(accepted.1, "permessage-deflate")
    }

    func testDeclinesBadOffersAndAcceptsFirstAcceptable() throws {
        XCTAssertNil(try self.accept("permessage-deflate; server_max_window_bits=7"))
        XCTAssertNil(try self.accept("permessage-deflate; server_max_window_bits=16"))
        XCTAssertNil(try self.accept("permessage-deflate; server_max_window_bits"))
        XCTAssertNil(try self.accept("permessage-deflate; server_max_window_bits=010"))
        XCTAssertNil(try self.accept("permessage-deflate; server_no_context_takeover=1"))
        XCTAssertNil(try self.accept("permessage-deflate; unknown"))
        XCTAssertNil(try self.accept("permessage-deflate; client_no_context_takeover; client_no_context_takeover"))
        XCTAssertNil(try self.accept("x-webkit-deflate-frame"))
        let accepted = try XCTUnwrap(try self.accept(
            "x-webkit-deflate-frame, permessage-deflate; bogus, permessage-deflate; server_max_window_bits=11, permessage-deflate"
        ))
        XCTAssertEqual(accepted.1, "permessage-deflate; server_max_window_bits=11")
        XCTAssertEqual(accepted.0.sendMaxWindowBits, 11)
    }

    func testEightBitServerWindowIsAcceptedButNotUsedForCompression() throws {
        let accepted = try XCTUnwrap(try self.accept("permessage-deflate; server_max_window_bits=8"))
        XCTAssertEqual(accepted.1, "permessage-deflate; server_max_window_bits=8")
        XCTAssertFalse(accepted.0.canCompress)
    }

    func testClientAcceptsServerResponse() throws {
        let response = try WebSocketExtensionParameters.parse(headerValue: "permessage-deflate; server_no_context_takeover; client_max_window_bits=12")
        let configuration = try XCTUnwrap(try PerMessageDeflateNegotiation.clientAccept(response: response))
        XCTAssertEqual(configuration.receiveNoContextTakeover, true)
        XCTAssertEqual(configuration.sendMaxWindowBits, 12)
        XCTAssertNil(try PerMessageDeflateNegotiation.clientAccept(response: []))
        XCTAssertThrowsError(try PerMessageDeflateNegotiation.clientAccept(
            response: try WebSocketExtensionParameters.parse(headerValue: "permessage-deflate; nope")))
    }

    func testCompressorAndDecompressorRoundTripWithContextTakeover() throws {
        let compressor = try PerMessageDeflateCompressor(windowBits: 15, noContextTakeover: false)
        let decompressor = try PerMessageDeflateDecompressor(noContextTakeover: false)
        for i in 0..<5 {
            let text = String(repeating: "message \(i) with some repeated content ", count: 20)
            let compressed = try compressor.compress(ByteBuffer(string: text), allocator: ByteBufferAllocator())
            var out = ByteBuffer()
            // Feed in two pieces to exercise streaming inflate.
            let half = compressed.readableBytes / 2
            try decompressor.inflate(compressed.getSlice(at: compressed.readerIndex, length: half)!, into: &out, limit: 1 << 20)
            try decompressor.inflate(compressed.getSlice(at: compressed.readerIndex + half, length: compressed.readableBytes - half)!, into: &out, limit: 1 << 20)
            try decompressor.finishMessage(into: &out, limit: 1 << 20)
            XCTAssertEqual(String(buffer: out), text)
        }
    }

    func testDecompressionLimit() throws {
        let compressor = try PerMessageDeflateCompressor(windowBits: 15, noContextTakeover: true)
        let compressed = try compressor.compress(ByteBuffer(repeating: 0, count: 100_000), allocator: ByteBufferAllocator())
        let decompressor = try PerMessageDeflateDecompressor(noContextTakeover: true)
        var out = ByteBuffer()
        XCTAssertThrowsError(try decompressor.inflate(compressed, into: &out, limit: 10_000)) { error in
            XCTAssertEqual(error as? PerMessageDeflateDecompressor.Failure, .tooLarge)
        }
    }
}
