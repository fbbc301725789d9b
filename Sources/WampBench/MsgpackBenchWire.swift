import NIOCore

/// MessagePack primitives for `BinaryWire` (the smallest form of each, as the spec asks).
enum MsgpackBenchWire: BinaryWire {
    typealias Scanner = MsgpackBenchScanner

    @inline(__always)
    static func writeArrayLength(_ length: BinaryArrayLength, to buffer: inout ByteBuffer) {
        // MessagePack has no indefinite arrays; the scanner never reports one.
        guard case .count(let count) = length else { preconditionFailure("MessagePack arrays carry their count") }
        if count < 16 {
            buffer.writeInteger(UInt8(0x90 | count))
        } else if count <= 0xFFFF {
            buffer.writeInteger(UInt8(0xDC))
            buffer.writeInteger(UInt16(count))
        } else {
            buffer.writeInteger(UInt8(0xDD))
            buffer.writeInteger(UInt32(count))
        }
    }

    @inline(__always)
    static func writeMapHeader(_ count: Int, to buffer: inout ByteBuffer) {
        if count < 16 {
            buffer.writeInteger(UInt8(0x80 | count))
        } else if count <= 0xFFFF {
            buffer.writeInteger(UInt8(0xDE))
            buffer.writeInteger(UInt16(count))
        } else {
            buffer.writeInteger(UInt8(0xDF))
            buffer.writeInteger(UInt32(count))
        }
    }

    @inline(__always)
    static func writeUInt(_ value: UInt64, to buffer: inout ByteBuffer) {
        if value < 0x80 {
            buffer.writeInteger(UInt8(value))
        } else if value <= 0xFF {
            buffer.writeInteger(UInt8(0xCC))
            buffer.writeInteger(UInt8(value))
        } else if value <= 0xFFFF {
            buffer.writeInteger(UInt8(0xCD))
            buffer.writeInteger(UInt16(value))
        } else if value <= 0xFFFF_FFFF {
            buffer.writeInteger(UInt8(0xCE))
            buffer.writeInteger(UInt32(value))
        } else {
            buffer.writeInteger(UInt8(0xCF))
            buffer.writeInteger(value)
        }
    }

    @inline(__always)
    static func writeStringHeader(_ byteCount: Int, to buffer: inout ByteBuffer) {
        if byteCount < 32 {
            buffer.writeInteger(UInt8(0xA0 | byteCount))
        } else if byteCount <= 0xFF {
            buffer.writeInteger(UInt8(0xD9))
            buffer.writeInteger(UInt8(byteCount))
        } else if byteCount <= 0xFFFF {
            buffer.writeInteger(UInt8(0xDA))
            buffer.writeInteger(UInt16(byteCount))
        } else {
            buffer.writeInteger(UInt8(0xDB))
            buffer.writeInteger(UInt32(byteCount))
        }
    }

    @inline(__always)
    static func writeTrue(to buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt8(0xC3))
    }
}
