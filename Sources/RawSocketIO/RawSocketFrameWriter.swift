import NIOCore

/// Frame headers and whole frames. A payload of exactly 2^24 octets sets the X bit with the
/// 24 length bits cleared, as the spec says; longer ones cannot be framed.
public enum RawSocketFrameWriter {
    /// The 4-octet prefix of a frame of `type` carrying `length` octets (0...2^24).
    public static func header(_ type: RawSocketFrameType, length: Int) -> UInt32 {
        precondition(length >= 0 && length <= RawSocketLength.largestMessage, "RawSocket payload too long to frame")
        let extraBit: UInt32 = length == RawSocketLength.largestMessage ? 0x0800_0000 : 0
        return UInt32(type.rawValue) << 24 | extraBit | UInt32(length & 0x00FF_FFFF)
    }

    public static func writeHeader(_ type: RawSocketFrameType, length: Int, into buffer: inout ByteBuffer) {
        buffer.writeInteger(self.header(type, length: length))
    }

    /// Header and payload in one buffer: built once for a message fanned out to many
    /// connections, each of which writes it as it is.
    public static func frame(_ type: RawSocketFrameType = .message, payload: ByteBuffer) -> ByteBuffer {
        var frame = ByteBuffer()
        frame.reserveCapacity(4 + payload.readableBytes)
        self.writeHeader(type, length: payload.readableBytes, into: &frame)
        var payload = payload
        frame.writeBuffer(&payload)
        return frame
    }
}
