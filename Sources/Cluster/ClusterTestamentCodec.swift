import NIOCore
import Realm
import WampMessages

/// One session's testaments as the value of its `wamp_testaments` key (docs/cluster.md
/// "Testaments"): pure, tested on bytes. Another node decodes it after this one died, so the
/// decoder trusts nothing: every length and count is checked against what is left (the strings
/// and parts are read as `ClusterEventCodec` reads them), and a value that does not decode is
/// dropped and counted by its caller, never a crash or an allocation it chose.
///
/// Layout, integers big-endian: version `1` (u8), session (u64), authid and authrole (str),
/// count (u16), then per testament: scope (u8: 0 detached, 1 destroyed), topic (str), publish
/// options (str, JSON text), serialization (u8, `WampSerialization` raw value), flags (u8:
/// 1 arguments, 2 keyword arguments), then the parts present (u32 length and bytes). A str is a
/// u32 length and UTF-8 bytes.
package enum ClusterTestamentCodec {
    static let version: UInt8 = 1
    package typealias Malformed = ClusterEventCodec.Malformed

    package static func encode(_ testaments: SessionTestaments, allocator: ByteBufferAllocator = ByteBufferAllocator()) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 64)
        buffer.writeInteger(version)
        buffer.writeInteger(testaments.session)
        ClusterEventCodec.writeString(testaments.authid, into: &buffer)
        ClusterEventCodec.writeString(testaments.authrole, into: &buffer)
        let all = testaments.detached.map { (UInt8(0), $0) } + testaments.destroyed.map { (UInt8(1), $0) }
        // `--max-testaments` is far below 65535; a larger list is cut here rather than wrap around.
        buffer.writeInteger(UInt16(min(all.count, Int(UInt16.max))))
        for (scope, testament) in all.prefix(Int(UInt16.max)) {
            buffer.writeInteger(scope)
            ClusterEventCodec.writeString(testament.topic, into: &buffer)
            ClusterEventCodec.writeString(testament.publishOptions.jsonText, into: &buffer)
            let payload = testament.payload
            buffer.writeInteger(payload.serialization.rawValue)
            var flags: UInt8 = 0
            if payload.argumentsBytes != nil { flags |= 1 }
            if payload.argumentsKwBytes != nil { flags |= 2 }
            buffer.writeInteger(flags)
            ClusterEventCodec.writeParts(payload, into: &buffer)
        }
        return buffer
    }

    package static func decode(_ bytes: ByteBuffer) throws(Malformed) -> SessionTestaments {
        var buffer = bytes
        guard let version: UInt8 = buffer.readInteger(), version == Self.version else { throw Malformed(reason: "unknown version") }
        guard let session: UInt64 = buffer.readInteger() else { throw Malformed(reason: "truncated header") }
        let authid = try ClusterEventCodec.readString(&buffer)
        let authrole = try ClusterEventCodec.readString(&buffer)
        // Each testament takes at least 12 bytes (scope, two empty strs, serialization, flags).
        guard let count: UInt16 = buffer.readInteger(), Int(count) * 12 <= buffer.readableBytes else {
            throw Malformed(reason: "more testaments than the value holds")
        }
        var testaments = SessionTestaments(session: session, authid: authid, authrole: authrole)
        for _ in 0..<count {
            guard let scope: UInt8 = buffer.readInteger(), scope <= 1 else { throw Malformed(reason: "unknown scope") }
            let topic = try ClusterEventCodec.readString(&buffer)
            guard let options = JSONValue.parse(try ClusterEventCodec.readString(&buffer)), options.isObject else {
                throw Malformed(reason: "publish options are not a JSON object")
            }
            guard let tag: UInt8 = buffer.readInteger(), let serialization = WampSerialization(rawValue: tag) else {
                throw Malformed(reason: "unknown serialization")
            }
            guard let flags: UInt8 = buffer.readInteger(), flags <= 3 else { throw Malformed(reason: "unknown flags") }
            let arguments = flags & 1 != 0 ? try ClusterEventCodec.readPart(&buffer) : nil
            let argumentsKw = flags & 2 != 0 ? try ClusterEventCodec.readPart(&buffer) : nil
            let testament = Testament(topic: topic, payload: Payload(serialization: serialization, argumentsBytes: arguments,
                                                                     argumentsKwBytes: argumentsKw),
                                      publishOptions: options)
            if scope == 0 { testaments.detached.append(testament) } else { testaments.destroyed.append(testament) }
        }
        guard buffer.readableBytes == 0 else { throw Malformed(reason: "bytes after the testaments") }
        return testaments
    }
}
