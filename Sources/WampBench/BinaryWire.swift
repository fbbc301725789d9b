import NIOCore

/// The messages the benchmark peers send, written by hand in MessagePack or CBOR. Both formats
/// put a length header before every container and nothing between items, so one layout per
/// message serves both; only the primitive writers differ (`MsgpackBenchWire`, `CBORBenchWire`).
/// Hot messages (CALL, YIELD, PUBLISH) are built without any intermediate value, like the JSON
/// text of `WampPeer`.
protocol BinaryWire {
    associatedtype Scanner: BinaryScanner
    static func writeArrayLength(_ length: BinaryArrayLength, to buffer: inout ByteBuffer)
    static func writeMapHeader(_ count: Int, to buffer: inout ByteBuffer)
    static func writeUInt(_ value: UInt64, to buffer: inout ByteBuffer)
    /// The header of a UTF-8 string of `byteCount` bytes (the bytes follow).
    static func writeStringHeader(_ byteCount: Int, to buffer: inout ByteBuffer)
    static func writeTrue(to buffer: inout ByteBuffer)
}

extension BinaryWire {
    @inline(__always)
    static func writeArray(_ count: Int, to buffer: inout ByteBuffer) {
        writeArrayLength(.count(count), to: &buffer)
    }

    @inline(__always)
    static func writeString(_ text: String, to buffer: inout ByteBuffer) {
        writeStringHeader(text.utf8.count, to: &buffer)
        buffer.writeString(text)
    }

    /// A string of `count` `x` characters: the `--payload-bytes` padding argument.
    static func padding(count: Int) -> ByteBuffer {
        var buffer = ByteBuffer()
        writeStringHeader(count, to: &buffer)
        buffer.writeRepeatingByte(UInt8(ascii: "x"), count: count)
        return buffer
    }

    /// `{}` or `{"match": match}`: the options of SUBSCRIBE and REGISTER.
    static func writeMatchOptions(_ match: String?, to buffer: inout ByteBuffer) {
        if let match {
            writeMapHeader(1, to: &buffer)
            writeString("match", to: &buffer)
            writeString(match, to: &buffer)
        } else {
            writeMapHeader(0, to: &buffer)
        }
    }

    /// `[1, realm, {"roles": {"caller": {}, "callee": {}, "publisher": {}, "subscriber": {}}}]`
    static func writeHello(realm: String, to buffer: inout ByteBuffer) {
        writeArray(3, to: &buffer)
        writeUInt(1, to: &buffer)
        writeString(realm, to: &buffer)
        writeMapHeader(1, to: &buffer)
        writeString("roles", to: &buffer)
        writeMapHeader(4, to: &buffer)
        for role in ["caller", "callee", "publisher", "subscriber"] {
            writeString(role, to: &buffer)
            writeMapHeader(0, to: &buffer)
        }
    }

    /// REGISTER (64) or SUBSCRIBE (32): `[code, request, options, uri]`.
    static func writeRegistration(code: UInt64, request: UInt64, match: String?, uri: String, to buffer: inout ByteBuffer) {
        writeArray(4, to: &buffer)
        writeUInt(code, to: &buffer)
        writeUInt(request, to: &buffer)
        writeMatchOptions(match, to: &buffer)
        writeString(uri, to: &buffer)
    }

    /// `[6, {}, reason]`
    static func writeGoodbye(reason: String, to buffer: inout ByteBuffer) {
        writeArray(3, to: &buffer)
        writeUInt(6, to: &buffer)
        writeMapHeader(0, to: &buffer)
        writeString(reason, to: &buffer)
    }

    /// `[48, request, {}, procedure, [sent]]`
    @inline(__always)
    static func writeCall(request: UInt64, procedure: String, sent: UInt64, to buffer: inout ByteBuffer) {
        writeArray(5, to: &buffer)
        writeUInt(48, to: &buffer)
        writeUInt(request, to: &buffer)
        writeMapHeader(0, to: &buffer)
        writeString(procedure, to: &buffer)
        writeArray(1, to: &buffer)
        writeUInt(sent, to: &buffer)
    }

    /// `[70, request, {}, ...]` where `...` is the INVOCATION's arguments and keyword arguments
    /// as received (`rest`, everything after its details, with a CBOR break byte if the
    /// INVOCATION was an indefinite array); `invocationLength` is the INVOCATION's array length.
    @inline(__always)
    static func writeYield(request: UInt64, invocationLength: BinaryArrayLength, rest: UnsafeRawBufferPointer,
                           to buffer: inout ByteBuffer) {
        switch invocationLength {
        // [68, request, registration, details, ...] -> [70, request, options, ...]: one item fewer.
        case .count(let count): writeArray(count - 1, to: &buffer)
        case .indefinite: writeArrayLength(.indefinite, to: &buffer)
        }
        writeUInt(70, to: &buffer)
        writeUInt(request, to: &buffer)
        writeMapHeader(0, to: &buffer)
        buffer.writeBytes(rest)
    }

    /// `[16, request, {} or {"acknowledge": true}, topic, [seq, sent, padding?]]`
    @inline(__always)
    static func writePublish(request: UInt64, acknowledge: Bool, topic: String, seq: UInt64, sent: UInt64,
                             padding: ByteBuffer?, to buffer: inout ByteBuffer) {
        writeArray(5, to: &buffer)
        writeUInt(16, to: &buffer)
        writeUInt(request, to: &buffer)
        if acknowledge {
            writeMapHeader(1, to: &buffer)
            writeString("acknowledge", to: &buffer)
            writeTrue(to: &buffer)
        } else {
            writeMapHeader(0, to: &buffer)
        }
        writeString(topic, to: &buffer)
        writeArray(padding == nil ? 2 : 3, to: &buffer)
        writeUInt(seq, to: &buffer)
        writeUInt(sent, to: &buffer)
        if let padding { buffer.writeImmutableBuffer(padding) }
    }
}
