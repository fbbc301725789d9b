import NIOCore
import NIOWebSocket

/// Writes frame headers (RFC 6455 section 5.2) for the outbound side.
///
/// We write frames as raw `ByteBuffer`s instead of handing `WebSocketFrame` values to NIO's
/// `WebSocketFrameEncoder`: a `WebSocketFrame` travels through the pipeline boxed in `NIOAny`, and
/// unboxing it costs a dynamic cast per message, which showed in the fan-out profile. The payload
/// buffer is written as it is (a server never masks), so a buffer shared by many connections is
/// never copied.
public enum WebSocketFrameWriter {
    /// The header of one unfragmented frame of `length` payload bytes.
    static func header(opcode: WebSocketOpcode, rsv1: Bool = false, length: Int, maskKey: WebSocketMaskingKey?,
                       allocator: ByteBufferAllocator) -> ByteBuffer {
        var header = allocator.buffer(capacity: 14)
        var first: UInt8 = 0x80 | UInt8(webSocketOpcode: opcode)
        if rsv1 { first |= 0x40 }
        header.writeInteger(first)
        let maskBit: UInt8 = maskKey == nil ? 0 : 0x80
        switch length {
        case 0...125:
            header.writeInteger(maskBit | UInt8(length))
        case 126...0xFFFF:
            header.writeInteger(maskBit | 126)
            header.writeInteger(UInt16(length))
        default:
            header.writeInteger(maskBit | 127)
            header.writeInteger(UInt64(length))
        }
        if let maskKey { header.writeBytes(maskKey) }
        return header
    }

    /// A whole unmasked frame (header and payload in one buffer), built once for a message many
    /// server connections send (`WebSocketConnection.send(_:kind:frameCache:)`). `compressed`:
    /// `payload` is already deflated and the frame says so (RSV1).
    public static func preparedFrame(_ payload: ByteBuffer, kind: WebSocketMessageKind, compressed: Bool = false) -> ByteBuffer {
        let allocator = ByteBufferAllocator()
        var frame = header(opcode: kind == .text ? .text : .binary, rsv1: compressed, length: payload.readableBytes,
                           maskKey: nil, allocator: allocator)
        frame.reserveCapacity(minimumWritableBytes: payload.readableBytes)
        var body = payload
        frame.writeBuffer(&body)
        return frame
    }
}
