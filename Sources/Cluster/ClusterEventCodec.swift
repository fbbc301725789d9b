import NIOCore
import Realm
import WampMessages

/// A relayed publication as the bytes of one NATS message (docs/cluster.md "Pub/sub", "The
/// message"): encoded once per publication, whatever the number of receiving nodes; pure, tested
/// on bytes. Every length is checked against what is left, so a hostile publisher on the NATS
/// side gets its message dropped (and counted), never a crash or an allocation it chose.
///
/// Layout, integers big-endian: version `1` (u8), serialization (u8, `WampSerialization` raw
/// value), publication (u64), publisher session (u64), flags (u8: 1 exclude_me, 2 disclosed,
/// 4 arguments, 8 keyword arguments, 16 retain), topic (str), then if disclosed authid and authrole (str,
/// each preceded by a u8 presence byte), passthru count (u8) and key/value strs, six lists
/// (exclude, exclude_authid, exclude_authrole, eligible, eligible_authid, eligible_authrole),
/// each a u8 presence byte then a u32 count and u64s or strs, then the arguments and keyword
/// arguments (u32 length and the publisher's bytes). A str is a u32 length and UTF-8 bytes.
package enum ClusterEventCodec {
    static let version: UInt8 = 1

    package struct Malformed: Error, Equatable {
        package let reason: String
    }

    package static func encode(_ publication: RelayedPublication, allocator: ByteBufferAllocator = ByteBufferAllocator()) -> ByteBuffer {
        let payload = publication.payload
        var buffer = allocator.buffer(capacity: 64 + publication.topic.utf8.count + payload.byteCount)
        buffer.writeInteger(version)
        buffer.writeInteger(payload.serialization.rawValue)
        buffer.writeInteger(publication.publication)
        buffer.writeInteger(publication.publisher)
        var flags: UInt8 = 0
        if publication.excludeMe { flags |= 1 }
        if publication.disclosed { flags |= 2 }
        if payload.argumentsBytes != nil { flags |= 4 }
        if payload.argumentsKwBytes != nil { flags |= 8 }
        if publication.retain { flags |= 16 }
        buffer.writeInteger(flags)
        writeString(publication.topic, into: &buffer)
        if publication.disclosed {
            writeOptional(publication.disclosedAuthid, into: &buffer)
            writeOptional(publication.disclosedAuthrole, into: &buffer)
        }
        buffer.writeInteger(UInt8(min(publication.passthru.count, 255)))
        for (key, value) in publication.passthru.prefix(255) {
            writeString(key, into: &buffer)
            writeString(value, into: &buffer)
        }
        let filter = publication.filter
        writeIDs(filter?.exclude, into: &buffer)
        writeStrings(filter?.excludeAuthid, into: &buffer)
        writeStrings(filter?.excludeAuthrole, into: &buffer)
        writeIDs(filter?.eligible, into: &buffer)
        writeStrings(filter?.eligibleAuthid, into: &buffer)
        writeStrings(filter?.eligibleAuthrole, into: &buffer)
        writeParts(payload, into: &buffer)
        return buffer
    }

    package static func decode(_ bytes: ByteBuffer) throws(Malformed) -> RelayedPublication {
        var buffer = bytes
        guard let version: UInt8 = buffer.readInteger(), version == Self.version else { throw Malformed(reason: "unknown version") }
        guard let tag: UInt8 = buffer.readInteger(), let serialization = WampSerialization(rawValue: tag) else {
            throw Malformed(reason: "unknown serialization")
        }
        guard let publicationID: UInt64 = buffer.readInteger(), let publisher: UInt64 = buffer.readInteger(),
              let flags: UInt8 = buffer.readInteger() else { throw Malformed(reason: "truncated header") }
        let topic = try readString(&buffer)
        var publication = RelayedPublication(publication: publicationID, topic: topic, payload: .empty, publisher: publisher,
                                             excludeMe: flags & 1 != 0, disclosed: flags & 2 != 0, retain: flags & 16 != 0)
        if publication.disclosed {
            publication.disclosedAuthid = try readOptional(&buffer)
            publication.disclosedAuthrole = try readOptional(&buffer)
        }
        guard let passthruCount: UInt8 = buffer.readInteger() else { throw Malformed(reason: "truncated passthru") }
        for _ in 0..<passthruCount {
            let key = try readString(&buffer)
            publication.passthru.append((key, try readString(&buffer)))
        }
        let exclude = try readIDs(&buffer)
        let excludeAuthid = try readStrings(&buffer)
        let excludeAuthrole = try readStrings(&buffer)
        let eligible = try readIDs(&buffer)
        let eligibleAuthid = try readStrings(&buffer)
        publication.filter = PublicationFilter(exclude: exclude, excludeAuthid: excludeAuthid, excludeAuthrole: excludeAuthrole,
                                               eligible: eligible, eligibleAuthid: eligibleAuthid,
                                               eligibleAuthrole: try readStrings(&buffer))
        let arguments = flags & 4 != 0 ? try readPart(&buffer) : nil
        let argumentsKw = flags & 8 != 0 ? try readPart(&buffer) : nil
        guard buffer.readableBytes == 0 else { throw Malformed(reason: "bytes after the payload") }
        publication.payload = Payload(serialization: serialization, argumentsBytes: arguments, argumentsKwBytes: argumentsKw)
        return publication
    }

    // MARK: Parts

    /// The arguments, then the keyword arguments, those present (flags say which): a u32 length
    /// and the publisher's bytes each.
    static func writeParts(_ payload: Payload, into buffer: inout ByteBuffer) {
        for part in [payload.argumentsBytes, payload.argumentsKwBytes] {
            guard var part else { continue }
            buffer.writeInteger(UInt32(part.readableBytes))
            buffer.writeBuffer(&part)
        }
    }

    static func writeString(_ string: String, into buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt32(string.utf8.count))
        buffer.writeString(string)
    }

    static func writeOptional(_ string: String?, into buffer: inout ByteBuffer) {
        guard let string else {
            buffer.writeInteger(UInt8(0))
            return
        }
        buffer.writeInteger(UInt8(1))
        writeString(string, into: &buffer)
    }

    private static func writeIDs(_ ids: Set<WampID>?, into buffer: inout ByteBuffer) {
        guard let ids else {
            buffer.writeInteger(UInt8(0))
            return
        }
        buffer.writeInteger(UInt8(1))
        buffer.writeInteger(UInt32(ids.count))
        for id in ids { buffer.writeInteger(id) }
    }

    private static func writeStrings(_ strings: Set<String>?, into buffer: inout ByteBuffer) {
        guard let strings else {
            buffer.writeInteger(UInt8(0))
            return
        }
        buffer.writeInteger(UInt8(1))
        buffer.writeInteger(UInt32(strings.count))
        for string in strings { writeString(string, into: &buffer) }
    }

    static func readString(_ buffer: inout ByteBuffer) throws(Malformed) -> String {
        guard let length: UInt32 = buffer.readInteger(), Int(length) <= buffer.readableBytes,
              let string = buffer.readString(length: Int(length)) else { throw Malformed(reason: "truncated string") }
        return string
    }

    static func readOptional(_ buffer: inout ByteBuffer) throws(Malformed) -> String? {
        guard let present: UInt8 = buffer.readInteger() else { throw Malformed(reason: "truncated optional") }
        return present == 0 ? nil : try readString(&buffer)
    }

    static func readCount(_ buffer: inout ByteBuffer, elementSize: Int) throws(Malformed) -> Int? {
        guard let present: UInt8 = buffer.readInteger() else { throw Malformed(reason: "truncated list") }
        guard present != 0 else { return nil }
        // Each element takes at least `elementSize` bytes: a count the rest cannot hold is a lie.
        guard let count: UInt32 = buffer.readInteger(), Int(count) * elementSize <= buffer.readableBytes else {
            throw Malformed(reason: "list longer than the message")
        }
        return Int(count)
    }

    private static func readIDs(_ buffer: inout ByteBuffer) throws(Malformed) -> Set<WampID>? {
        guard let count = try readCount(&buffer, elementSize: 8) else { return nil }
        var ids = Set<WampID>(minimumCapacity: count)
        for _ in 0..<count {
            guard let id: UInt64 = buffer.readInteger() else { throw Malformed(reason: "truncated list") }
            ids.insert(id)
        }
        return ids
    }

    private static func readStrings(_ buffer: inout ByteBuffer) throws(Malformed) -> Set<String>? {
        guard let count = try readCount(&buffer, elementSize: 4) else { return nil }
        var strings = Set<String>(minimumCapacity: count)
        for _ in 0..<count { strings.insert(try readString(&buffer)) }
        return strings
    }

    static func readPart(_ buffer: inout ByteBuffer) throws(Malformed) -> ByteBuffer {
        guard let length: UInt32 = buffer.readInteger(), Int(length) <= buffer.readableBytes,
              let part = buffer.readSlice(length: Int(length)) else { throw Malformed(reason: "truncated payload") }
        return part
    }
}
