import NIOCore
import WebSocketIO

/// libFuzzer entry: permessage-deflate inflate under a small message size limit.
///
/// - byte 0, bit 0: mode. 0: the rest is compressed data from a peer, cut into frames and messages;
///   1: the rest is a message we compress ourselves and inflate again (round trip).
/// - byte 0, bit 1: no_context_takeover (decompressor, and compressor in the round trip)
/// - byte 0, bits 2-3: the limit (0, 1, 100 or 4096 bytes); bits 4-6: window bits 9 + (0...6)
/// - byte 1: seed of the frame cuts (mode 0)
///
/// The output bound is the point: after any call that does not throw, the output holds at most
/// `limit` bytes; a round trip within the limit gives back the same bytes; one above it throws
/// `.tooLarge`, never `.corrupt`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPerMessageDeflate(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 2 else { return 0 }
    let input = UnsafeBufferPointer(start: data, count: size)
    let flags = input[0]
    let noContextTakeover = flags & 2 != 0
    let limit = [0, 1, 100, 4096][Int(flags >> 2) & 3]
    let windowBits = 9 + (Int(flags >> 4) & 7) % 7
    let rest = UnsafeBufferPointer(rebasing: input[2...])
    guard let decompressor = try? PerMessageDeflateDecompressor(noContextTakeover: noContextTakeover) else {
        fatalError("cannot create a decompressor")
    }
    if flags & 1 == 0 {
        inflatePeerData(rest, seed: input[1], decompressor: decompressor, limit: limit)
    } else {
        roundTrip(rest, windowBits: windowBits, noContextTakeover: noContextTakeover, decompressor: decompressor, limit: limit)
    }
    return 0
}

/// Cuts are taken from the seed: each piece is 1...64 bytes, and about one piece in four ends a
/// message (the `00 00 ff ff` tail is then fed, as the assembler does on a final frame).
private func inflatePeerData(_ bytes: UnsafeBufferPointer<UInt8>, seed: UInt8, decompressor: PerMessageDeflateDecompressor, limit: Int) {
    var state = UInt32(seed) &* 2_654_435_761 | 1
    var offset = 0
    var output = ByteBuffer()
    while offset < bytes.count {
        state ^= state << 13
        state ^= state >> 17
        state ^= state << 5
        let count = Swift.min(1 + Int(state % 64), bytes.count - offset)
        let endsMessage = (state >> 8) & 3 == 0 || offset + count == bytes.count
        let piece = ByteBuffer(bytes: UnsafeBufferPointer(rebasing: bytes[offset..<(offset + count)]))
        offset += count
        do {
            try decompressor.inflate(piece, into: &output, limit: limit)
            checkBound(output, limit: limit)
            if endsMessage {
                try decompressor.finishMessage(into: &output, limit: limit)
                checkBound(output, limit: limit)
                output = ByteBuffer()
            }
        } catch {
            return  // the connection is failed (1009 or 1007); nothing more is read
        }
    }
}

private func roundTrip(
    _ bytes: UnsafeBufferPointer<UInt8>, windowBits: Int, noContextTakeover: Bool,
    decompressor: PerMessageDeflateDecompressor, limit: Int
) {
    guard let compressor = try? PerMessageDeflateCompressor(windowBits: windowBits, noContextTakeover: noContextTakeover) else {
        fatalError("cannot create a compressor with \(windowBits) window bits")
    }
    let message = ByteBuffer(bytes: bytes)
    guard let compressed = try? compressor.compress(message, allocator: ByteBufferAllocator()) else {
        fatalError("compressing \(bytes.count) bytes failed")
    }
    var output = ByteBuffer()
    do {
        try decompressor.inflate(compressed, into: &output, limit: limit)
        try decompressor.finishMessage(into: &output, limit: limit)
    } catch .tooLarge {
        if message.readableBytes <= limit {
            fatalError("\(message.readableBytes) bytes refused as above the limit \(limit)")
        }
        return
    } catch {
        fatalError("our own compressed message of \(message.readableBytes) bytes is refused as corrupt")
    }
    checkBound(output, limit: limit)
    if output != message {
        fatalError("round trip of \(message.readableBytes) bytes gave \(output.readableBytes) different bytes")
    }
}

private func checkBound(_ output: ByteBuffer, limit: Int) {
    if output.readableBytes > limit {
        fatalError("inflated to \(output.readableBytes) bytes past the limit \(limit)")
    }
}
