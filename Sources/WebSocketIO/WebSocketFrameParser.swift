import NIOCore
import NIOWebSocket

/// Streaming WebSocket frame parser.
///
/// NIO's `WebSocketFrameDecoder` only emits a frame once its whole payload has arrived. To fail a
/// text message at the first invalid UTF-8 byte even when that byte sits in the middle of one
/// large frame (Autobahn 6.4.3/6.4.4), this parser hands out the frame header as soon as it is
/// complete and then the (unmasked) payload in chunks as bytes arrive.
///
/// It only checks syntax (length encoding and the configured maximum); protocol rules are applied
/// by `WebSocketInboundAssembler`.
public struct WebSocketFrameParser: Sendable {
    public enum Event: Sendable, Equatable {
        case header(WebSocketFrameHeader)
        /// Unmasked payload bytes of the current frame; `frameEnd` on the last chunk. A frame with
        /// an empty payload produces one empty chunk with `frameEnd == true`.
        case payload(ByteBuffer, frameEnd: Bool)
    }

    public enum ParseError: Error, Equatable {
        /// Frame longer than the allowed maximum (close 1009).
        case frameTooLarge(Int)
        /// Most significant bit of a 64-bit length set (close 1002).
        case invalidLength
    }

    private enum State: Sendable {
        case header
        case payload(remaining: Int, maskKey: WebSocketMaskingKey?, maskOffset: Int)
    }

    private var state: State = .header
    private var headerBytes: [UInt8] = []
    public let maxFrameLength: Int

    public init(maxFrameLength: Int) {
        self.maxFrameLength = maxFrameLength
        self.headerBytes.reserveCapacity(14)
    }

    /// Returns the next event from `buffer`, or `nil` when more bytes are needed.
    public mutating func next(_ buffer: inout ByteBuffer) throws(ParseError) -> Event? {
        switch self.state {
        case .header:
            guard let header = try self.parseHeader(&buffer) else { return nil }
            self.state = .payload(remaining: header.length, maskKey: header.maskKey, maskOffset: 0)
            return .header(header)

        case .payload(let remaining, let maskKey, let maskOffset):
            if remaining == 0 {
                self.state = .header
                return .payload(ByteBuffer(), frameEnd: true)
            }
            guard buffer.readableBytes > 0 else { return nil }
            let count = Swift.min(remaining, buffer.readableBytes)
            var chunk = buffer.readSlice(length: count)!
            if let maskKey {
                chunk.unmask(maskKey, offset: maskOffset)
            }
            if count == remaining {
                self.state = .header
                return .payload(chunk, frameEnd: true)
            }
            self.state = .payload(remaining: remaining - count, maskKey: maskKey, maskOffset: (maskOffset + count) & 3)
            return .payload(chunk, frameEnd: false)
        }
    }

    private mutating func parseHeader(_ buffer: inout ByteBuffer) throws(ParseError) -> WebSocketFrameHeader? {
        // Gather the fixed two bytes, then the extended length and mask.
        while self.headerBytes.count < 2 {
            guard let byte = buffer.readInteger(as: UInt8.self) else { return nil }
            self.headerBytes.append(byte)
        }
        let second = self.headerBytes[1]
        let length7 = second & 0x7F
        let extra = length7 == 126 ? 2 : (length7 == 127 ? 8 : 0)
        let masked = second & 0x80 != 0
        let total = 2 + extra + (masked ? 4 : 0)
        while self.headerBytes.count < total {
            guard let byte = buffer.readInteger(as: UInt8.self) else { return nil }
            self.headerBytes.append(byte)
        }
        let bytes = self.headerBytes
        self.headerBytes.removeAll(keepingCapacity: true)

        var length: UInt64
        switch extra {
        case 2:
            length = UInt64(bytes[2]) << 8 | UInt64(bytes[3])
        case 8:
            length = 0
            for i in 2..<10 { length = length << 8 | UInt64(bytes[i]) }
            if length & (1 << 63) != 0 { throw .invalidLength }
        default:
            length = UInt64(length7)
        }
        guard length <= UInt64(self.maxFrameLength) else { throw .frameTooLarge(Int(clamping: length)) }
        var maskKey: WebSocketMaskingKey? = nil
        if masked {
            maskKey = WebSocketMaskingKey(bytes[(2 + extra)..<(6 + extra)])
        }
        let first = bytes[0]
        return WebSocketFrameHeader(
            fin: first & 0x80 != 0,
            rsv1: first & 0x40 != 0,
            rsv2: first & 0x20 != 0,
            rsv3: first & 0x10 != 0,
            opcode: first & 0x0F,
            maskKey: maskKey,
            length: Int(length)
        )
    }
}

extension ByteBuffer {
    /// XORs the readable bytes with the masking key, starting at key position `offset` (0...3).
    /// Works eight bytes at a time.
    mutating func unmask(_ key: WebSocketMaskingKey, offset: Int) {
        let k0 = key[(offset) & 3], k1 = key[(offset + 1) & 3], k2 = key[(offset + 2) & 3], k3 = key[(offset + 3) & 3]
        // Key bytes in memory order, repeated to 8 bytes.
        let word32 = UInt32(k0) | UInt32(k1) << 8 | UInt32(k2) << 16 | UInt32(k3) << 24
        let word64 = UInt64(word32) | UInt64(word32) << 32
        self.withUnsafeMutableReadableBytes { raw in
            let count = raw.count
            var i = 0
            if let base = raw.baseAddress {
                while i &+ 8 <= count {
                    let v = (base + i).loadUnaligned(as: UInt64.self)
                    (base + i).storeBytes(of: v ^ word64.littleEndian, as: UInt64.self)
                    i &+= 8
                }
            }
            let keyBytes = (k0, k1, k2, k3)
            while i < count {
                let k: UInt8
                switch i & 3 {
                case 0: k = keyBytes.0
                case 1: k = keyBytes.1
                case 2: k = keyBytes.2
                default: k = keyBytes.3
                }
                raw[i] ^= k
                i &+= 1
            }
        }
    }
}
