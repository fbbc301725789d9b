/// Reads MessagePack items one at a time from a byte range, checking each against what is
/// left of the input before using it.
///
/// Every declared length is compared with the bytes that remain before anything trusts it: a
/// string or binary longer than the rest of the input, or an array or map with more items than
/// bytes left to hold them (each item takes at least one byte), is an error at its header. So
/// no caller ever reserves or allocates a size a peer merely declared. Strings are checked as
/// strict UTF-8 (shortest forms, no surrogates, nothing above U+10FFFF). Extension types and
/// the reserved byte 0xc1 are refused: WAMP defines no extension, and a value of one could not
/// be converted for JSON or CBOR receivers.
struct MsgpackReader {
    /// Why reading failed; `position` is the offset of the item at fault.
    struct Failure: Error {
        var reason: String
        var position: Int
    }

    let base: UnsafePointer<UInt8>
    let end: Int
    private(set) var position: Int

    /// Reads `bytes[range]` (the whole buffer when `range` is nil); offsets are relative to `bytes`.
    init(_ bytes: UnsafeRawBufferPointer, range: Range<Int>? = nil) {
        // An empty buffer may have no base address; any non-nil pointer will do for 0 bytes.
        self.base = bytes.baseAddress.map { $0.assumingMemoryBound(to: UInt8.self) } ?? UnsafePointer(bitPattern: 1)!
        self.position = range?.lowerBound ?? 0
        self.end = range?.upperBound ?? bytes.count
    }

    var isAtEnd: Bool { position == end }
    var remaining: Int { end - position }

    /// The next item; strings, binaries and container headers are fully bounds-checked.
    mutating func next() throws(Failure) -> MsgpackToken {
        let start = position
        guard position < end else { throw Failure(reason: "premature end of input", position: start) }
        let byte = base[position]
        position += 1
        switch byte {
        case 0x00...0x7F: return .integer(Int64(byte))
        case 0x80...0x8F: return try map(Int(byte & 0x0F), start)
        case 0x90...0x9F: return try array(Int(byte & 0x0F), start)
        case 0xA0...0xBF: return try string(Int(byte & 0x1F), start)
        case 0xC0: return .null
        case 0xC1: throw Failure(reason: "reserved type byte 0xc1", position: start)
        case 0xC2: return .bool(false)
        case 0xC3: return .bool(true)
        case 0xC4: return try binary(Int(try bigEndian(1, start)), start)
        case 0xC5: return try binary(Int(try bigEndian(2, start)), start)
        case 0xC6: return try binary(Int(try bigEndian(4, start)), start)
        case 0xC7...0xC9, 0xD4...0xD8:
            throw Failure(reason: "extension types cannot be represented in WAMP", position: start)
        case 0xCA: return .double(Double(Float(bitPattern: UInt32(try bigEndian(4, start)))))
        case 0xCB: return .double(Double(bitPattern: try bigEndian(8, start)))
        case 0xCC: return .integer(Int64(try bigEndian(1, start)))
        case 0xCD: return .integer(Int64(try bigEndian(2, start)))
        case 0xCE: return .integer(Int64(try bigEndian(4, start)))
        case 0xCF:
            let value = try bigEndian(8, start)
            return value > UInt64(Int64.max) ? .unsignedInteger(value) : .integer(Int64(value))
        case 0xD0: return .integer(Int64(Int8(truncatingIfNeeded: try bigEndian(1, start))))
        case 0xD1: return .integer(Int64(Int16(truncatingIfNeeded: try bigEndian(2, start))))
        case 0xD2: return .integer(Int64(Int32(truncatingIfNeeded: try bigEndian(4, start))))
        case 0xD3: return .integer(Int64(bitPattern: try bigEndian(8, start)))
        case 0xD9: return try string(Int(try bigEndian(1, start)), start)
        case 0xDA: return try string(Int(try bigEndian(2, start)), start)
        case 0xDB: return try string(Int(try bigEndian(4, start)), start)
        case 0xDC: return try array(Int(try bigEndian(2, start)), start)
        case 0xDD: return try array(Int(try bigEndian(4, start)), start)
        case 0xDE: return try map(Int(try bigEndian(2, start)), start)
        case 0xDF: return try map(Int(try bigEndian(4, start)), start)
        default: return .integer(Int64(Int8(bitPattern: byte)))  // 0xE0...0xFF: negative fixint
        }
    }

    private mutating func bigEndian(_ width: Int, _ start: Int) throws(Failure) -> UInt64 {
        guard end - position >= width else { throw Failure(reason: "truncated item", position: start) }
        var value: UInt64 = 0
        for offset in 0..<width { value = value << 8 | UInt64(base[position + offset]) }
        position += width
        return value
    }

    private mutating func bytes(_ length: Int, _ start: Int, _ what: String) throws(Failure) -> Range<Int> {
        guard length <= end - position else {
            throw Failure(reason: "\(what) of \(length) bytes is longer than the \(end - position) bytes left", position: start)
        }
        defer { position += length }
        return position..<(position + length)
    }

    private mutating func string(_ length: Int, _ start: Int) throws(Failure) -> MsgpackToken {
        let range = try bytes(length, start, "a string")
        guard Self.isValidUTF8(base + range.lowerBound, range.count) else {
            throw Failure(reason: "a string is not valid UTF-8", position: start)
        }
        return .string(range)
    }

    private mutating func binary(_ length: Int, _ start: Int) throws(Failure) -> MsgpackToken {
        .binary(try bytes(length, start, "a binary"))
    }

    private func array(_ count: Int, _ start: Int) throws(Failure) -> MsgpackToken {
        guard count <= end - position else {
            throw Failure(reason: "an array of \(count) items does not fit in the \(end - position) bytes left", position: start)
        }
        return .array(count: count)
    }

    private func map(_ count: Int, _ start: Int) throws(Failure) -> MsgpackToken {
        guard count <= (end - position) / 2 else {
            throw Failure(reason: "a map of \(count) entries does not fit in the \(end - position) bytes left", position: start)
        }
        return .map(count: count)
    }

    /// Strict UTF-8: shortest forms only, no encoded surrogates, nothing above U+10FFFF.
    static func isValidUTF8(_ start: UnsafePointer<UInt8>, _ count: Int) -> Bool {
        var index = 0
        while index < count {
            let lead = start[index]
            if lead < 0x80 {
                index += 1
                continue
            }
            let length: Int
            var scalar: UInt32
            switch lead {
            case 0xC2...0xDF: length = 2; scalar = UInt32(lead & 0x1F)
            case 0xE0...0xEF: length = 3; scalar = UInt32(lead & 0x0F)
            case 0xF0...0xF4: length = 4; scalar = UInt32(lead & 0x07)
            default: return false
            }
            guard count - index >= length else { return false }
            for offset in 1..<length {
                let byte = start[index + offset]
                guard byte & 0xC0 == 0x80 else { return false }
                scalar = scalar << 6 | UInt32(byte & 0x3F)
            }
            switch length {
            case 3 where scalar < 0x800 || (0xD800...0xDFFF).contains(scalar): return false
            case 4 where scalar < 0x10000 || scalar > 0x10FFFF: return false
            default: break
            }
            index += length
        }
        return true
    }
}
