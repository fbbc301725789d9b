// permessage-deflate (RFC 7692) compression and decompression.
//
// Why compress-nio: it wraps zlib's streaming `z_stream` API (deflate/inflate with SYNC_FLUSH and
// a kept LZ77 window across calls, i.e. "context takeover") directly on NIO `ByteBuffer`s. That is
// exactly what permessage-deflate needs, without adding our own C system-library target and module
// map for zlib, and it is already used by the Swift server ecosystem (Hummingbird's WSCompression).
import CompressNIO
import NIOCore

/// Compresses outbound messages of one connection.
package final class PerMessageDeflateCompressor {
    private let compressor: ZlibCompressor
    private let noContextTakeover: Bool

    /// Level 1 (fastest): messages are mostly small JSON; the ratio gain of higher levels is not
    /// worth the CPU on a router. The hash table size follows the window (memLevel = bits - 7, at
    /// most 8): zlib slides its whole hash table every time the window fills, so a small window
    /// with the default 32K-entry table spends most of its time sliding.
    package init(windowBits: Int, noContextTakeover: Bool, compressionLevel: Int32 = 1, memoryLevel: Int32? = nil) throws {
        precondition((9...15).contains(windowBits), "zlib raw deflate needs 9...15 window bits")
        let memoryLevel = memoryLevel ?? Int32(Swift.min(8, Swift.max(1, windowBits - 7)))
        self.compressor = try ZlibCompressor(
            algorithm: .deflate,
            configuration: ZlibConfiguration(
                windowSize: Int32(windowBits),
                compressionLevel: compressionLevel,
                memoryLevel: memoryLevel
            )
        )
        self.noContextTakeover = noContextTakeover
    }

    /// Compresses one whole message; the result has the trailing `00 00 ff ff` removed
    /// (RFC 7692 section 7.2.1).
    package func compress(_ payload: ByteBuffer, allocator: ByteBufferAllocator) throws -> ByteBuffer {
        var input = payload
        var output = allocator.buffer(capacity: self.compressor.maxSize(from: input))
        while true {
            do {
                try self.compressor.deflate(from: &input, to: &output, flush: .sync)
            } catch let error as CompressNIOError where error == .bufferOverflow {
                // output full: grow below and go on
            }
            if input.readableBytes == 0 && output.writableBytes > 0 { break }
            output.reserveCapacity(minimumWritableBytes: Swift.max(1024, output.capacity / 2))
        }
        if self.noContextTakeover { try self.compressor.reset() }
        // A sync flush always ends with an empty stored block 00 00 ff ff.
        if output.readableBytes >= 4,
            output.getInteger(at: output.writerIndex - 4, as: UInt32.self) == 0x0000_FFFF
        {
            output.moveWriterIndex(to: output.writerIndex - 4)
        }
        return output
    }
}

/// Decompresses inbound messages of one connection, fragment by fragment.
package final class PerMessageDeflateDecompressor {
    package enum Failure: Error, Equatable {
        case tooLarge
        case corrupt
    }

    private let decompressor: ZlibDecompressor
    private let noContextTakeover: Bool
    private static let tail: ByteBuffer = ByteBuffer(bytes: [0x00, 0x00, 0xFF, 0xFF])

    package init(noContextTakeover: Bool) throws {
        // A 15-bit window decodes streams produced with any smaller window.
        self.decompressor = try ZlibDecompressor(algorithm: .deflate, windowSize: 15)
        self.noContextTakeover = noContextTakeover
    }

    /// Inflates `input` (one frame's payload, or part of it) appending to `output`; fails as soon as
    /// `output` would hold more than `limit` bytes.
    package func inflate(_ input: ByteBuffer, into output: inout ByteBuffer, limit: Int) throws(Failure) {
        var input = input
        guard input.readableBytes > 0 else { return }
        while true {
            if output.writableBytes == 0 {
                if output.readableBytes > limit { throw .tooLarge }
                let grow = Swift.max(4096, Swift.min(input.readableBytes * 4, limit + 1 - output.readableBytes))
                output.reserveCapacity(minimumWritableBytes: Swift.max(grow, 1))
            }
            do {
                try self.decompressor.inflate(from: &input, to: &output)
                if output.readableBytes > limit { throw Failure.tooLarge }
                if input.readableBytes == 0 { return }
                // Z_STREAM_END with input left: the peer ended its deflate stream (BFINAL); start a
                // new one for the rest.
                try self.decompressor.reset()
            } catch let error as CompressNIOError where error == .bufferOverflow {
                if output.readableBytes > limit { throw .tooLarge }
                if output.writableBytes > 0 {
                    output.reserveCapacity(minimumWritableBytes: output.writableBytes + 4096)
                }
                continue
            } catch let error as CompressNIOError where error == .inputBufferOverflow {
                if output.readableBytes > limit { throw .tooLarge }
                return
            } catch let error as Failure {
                throw error
            } catch {
                throw .corrupt
            }
        }
    }

    /// Ends a message: feeds the `00 00 ff ff` tail removed by the sender.
    package func finishMessage(into output: inout ByteBuffer, limit: Int) throws(Failure) {
        try self.inflate(Self.tail, into: &output, limit: limit)
        if self.noContextTakeover {
            do { try self.decompressor.reset() } catch { throw .corrupt }
        }
    }
}
