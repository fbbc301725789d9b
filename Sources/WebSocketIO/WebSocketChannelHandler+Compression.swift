import NIOCore

/// permessage-deflate on the outbound side: which frame a message goes out in.
extension WebSocketChannelHandler {
    /// The frame this connection can take from what the message shares: the uncompressed frame
    /// when it does not compress, the compressed frame for its window size when it compresses
    /// without context takeover (its output then depends on nothing but the message); nil when it
    /// must frame the message itself (context takeover, or nothing shared).
    func sharedFrame(_ payload: ByteBuffer, kind: WebSocketMessageKind, compress: Bool,
                             shared: SharedFrameSource) -> ByteBuffer? {
        switch shared {
        case .none:
            return nil
        case .prepared(let frame):
            return compress ? nil : frame
        case .cache(let cache):
            guard compress else {
                return cache.encoding(key: WebSocketFrameCacheKey.uncompressed) {
                    WebSocketFrameWriter.preparedFrame(payload, kind: kind)
                }
            }
            guard let deflate = self.deflate, deflate.sendNoContextTakeover else { return nil }
            let windowBits = deflate.sendMaxWindowBits
            return cache.encoding(key: WebSocketFrameCacheKey.compressed(windowBits: windowBits)) {
                do {
                    let compressed = try PerMessageDeflateThreadCompressors.compressor(windowBits: windowBits)
                        .compress(payload, allocator: ByteBufferAllocator())
                    return WebSocketFrameWriter.preparedFrame(compressed, kind: kind, compressed: true)
                } catch {
                    // Every connection of this window size gets the message uncompressed, which
                    // RFC 7692 allows per message (RSV1 clear).
                    PerMessageDeflateThreadCompressors.discard(windowBits: windowBits)
                    self.logger.error("permessage-deflate compression failed; sending uncompressed",
                                      metadata: ["error": "\(error)"])
                    return WebSocketFrameWriter.preparedFrame(payload, kind: kind)
                }
            }
        }
    }

    /// Compresses one message for this connection alone: with the thread's compressor when the
    /// compressor is reset after every message anyway, with the connection's own otherwise.
    func compress(_ payload: ByteBuffer, allocator: ByteBufferAllocator) throws -> ByteBuffer {
        let deflate = self.deflate!
        if deflate.sendNoContextTakeover {
            do {
                return try PerMessageDeflateThreadCompressors.compressor(windowBits: deflate.sendMaxWindowBits)
                    .compress(payload, allocator: allocator)
            } catch {
                PerMessageDeflateThreadCompressors.discard(windowBits: deflate.sendMaxWindowBits)
                throw error
            }
        }
        if self.compressor == nil {
            self.compressor = try PerMessageDeflateCompressor(windowBits: deflate.sendMaxWindowBits, noContextTakeover: false)
        }
        return try self.compressor!.compress(payload, allocator: allocator)
    }
}
