import NIOCore

/// CBOR primitives for `BinaryWire` (definite lengths, shortest heads, RFC 8949 preferred form).
enum CBORBenchWire: BinaryWire {
    typealias Scanner = CBORBenchScanner

    /// A data item head: major type in the top three bits, the argument in the shortest form.
    @inline(__always)
    static func writeHead(major: UInt8, _ argument: UInt64, to buffer: inout ByteBuffer) {
        let type = major << 5
        if argument < 24 {
            buffer.writeInteger(type | UInt8(argument))
        } else if argument <= 0xFF {
            buffer.writeInteger(type | 24)
            buffer.writeInteger(UInt8(argument))
        } else if argument <= 0xFFFF {
            buffer.writeInteger(type | 25)
            buffer.writeInteger(UInt16(argument))
        } else if argument <= 0xFFFF_FFFF {
            buffer.writeInteger(type | 26)
            buffer.writeInteger(UInt32(argument))
        } else {
            buffer.writeInteger(type | 27)
            buffer.writeInteger(argument)
        }
    }

    @inline(__always)
    static func writeArrayLength(_ length: BinaryArrayLength, to buffer: inout ByteBuffer) {
        switch length {
        case .count(let count): writeHead(major: 4, UInt64(count), to: &buffer)
        case .indefinite: buffer.writeInteger(UInt8(0x9F))
        }
    }

    @inline(__always)
    static func writeMapHeader(_ count: Int, to buffer: inout ByteBuffer) {
        writeHead(major: 5, UInt64(count), to: &buffer)
    }

    @inline(__always)
    static func writeUInt(_ value: UInt64, to buffer: inout ByteBuffer) {
        writeHead(major: 0, value, to: &buffer)
    }

    @inline(__always)
    static func writeStringHeader(_ byteCount: Int, to buffer: inout ByteBuffer) {
        writeHead(major: 3, UInt64(byteCount), to: &buffer)
    }

    @inline(__always)
    static func writeTrue(to buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt8(0xF5))
    }
}
