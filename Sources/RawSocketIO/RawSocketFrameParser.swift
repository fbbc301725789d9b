import NIOCore

/// Cuts RawSocket frames (`RRRR XTTT` + 24-bit length, then the payload) out of the bytes after
/// the handshake. Pure and stateless between calls: a frame stays in the buffer until it is
/// whole, and its header is judged as soon as its 4 octets are there, so an over-long frame
/// fails before any of its payload is buffered.
public struct RawSocketFrameParser: Sendable {
    public enum Event: Equatable, Sendable {
        case message(ByteBuffer)
        case ping(ByteBuffer)
        case pong(ByteBuffer)
    }

    public enum Failure: Error, Equatable, Sendable {
        /// Longer than the length this side announced (the spec: fail the connection).
        case tooLong(length: Int, maxLength: Int)
        /// `TTT` of 3-7.
        case reservedType(UInt8)
        /// `RRRR` not zero.
        case reservedBits(UInt8)
        /// X set with length bits that are not all zero (X alone means exactly 2^24).
        case invalidExtraLengthBit(lowBits: Int)
    }

    /// The longest payload accepted: the length this side announced in its handshake.
    public let maxLength: Int

    public init(maxLength: Int) {
        self.maxLength = maxLength
    }

    /// The next whole frame, consumed from `buffer`; nil (nothing consumed) until there is one.
    public func next(_ buffer: inout ByteBuffer) throws(Failure) -> Event? {
        guard let header = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) else { return nil }
        let first = UInt8(header >> 24)
        if first & 0xF0 != 0 { throw .reservedBits(first >> 4) }
        let lowBits = Int(header & 0x00FF_FFFF)
        let length: Int
        if first & 0x08 != 0 {
            guard lowBits == 0 else { throw .invalidExtraLengthBit(lowBits: lowBits) }
            length = RawSocketLength.largestMessage
        } else {
            length = lowBits
        }
        guard let type = RawSocketFrameType(rawValue: first & 0x07) else { throw .reservedType(first & 0x07) }
        if length > self.maxLength { throw .tooLong(length: length, maxLength: self.maxLength) }
        guard buffer.readableBytes >= 4 + length else { return nil }
        buffer.moveReaderIndex(forwardBy: 4)
        let payload = buffer.readSlice(length: length)!
        switch type {
        case .message: return .message(payload)
        case .ping: return .ping(payload)
        case .pong: return .pong(payload)
        }
    }
}
