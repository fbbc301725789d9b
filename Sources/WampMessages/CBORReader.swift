/// Reads CBOR heads and string bytes from a buffer, checking every length against the bytes
/// that are really there before it is used: a declared length is only ever compared, never
/// allocated, so a peer that claims 2^64-1 bytes costs nothing but an error.
///
/// Shared by the message scanner, the envelope builder and the value decoder, so the three
/// agree on what well-formed means (RFC 8949 §3 and Appendix F): no reserved additional info
/// (28-30), no indefinite length on integers or tags, no two-byte simple value below 32, and
/// strict UTF-8 in text strings.
struct CBORReader {
    private let base: UnsafePointer<UInt8>
    let end: Int
    private(set) var position = 0

    init(_ bytes: UnsafeRawBufferPointer) {
        // An empty buffer may have no base address; any non-nil pointer will do for 0 bytes.
        self.base = bytes.baseAddress.map { $0.assumingMemoryBound(to: UInt8.self) } ?? UnsafePointer(bitPattern: 1)!
        self.end = bytes.count
    }

    var remainingBytes: Int { end - position }
    var isAtEnd: Bool { position == end }

    /// The byte at `position` without consuming it (callers check `isAtEnd` first).
    var nextByte: UInt8 { base[position] }

    mutating func readHead() throws(CBORFailure) -> CBORHead {
        guard position < end else { throw failure("truncated: a data item is missing") }
        let start = position
        let initial = base[position]
        position += 1
        let majorType = initial >> 5, info = initial & 0x1F
        var argument: UInt64 = 0
        switch info {
        case 0..<24:
            argument = UInt64(info)
        case 24...27:
            let count = 1 << Int(info - 24)
            guard remainingBytes >= count else { throw CBORFailure(reason: "truncated: the head's argument is cut off", position: start) }
            for offset in 0..<count { argument = argument << 8 | UInt64(base[position + offset]) }
            position += count
            if majorType == CBORHead.simple && info == 24 && argument < 32 {
                throw CBORFailure(reason: "simple value \(argument) must use a one-byte head", position: start)
            }
        case 28, 29, 30:
            throw CBORFailure(reason: "reserved additional information \(info)", position: start)
        default:
            if majorType == CBORHead.unsigned || majorType == CBORHead.negative || majorType == CBORHead.tag {
                throw CBORFailure(reason: "major type \(majorType) cannot have an indefinite length", position: start)
            }
        }
        return CBORHead(majorType: majorType, additionalInfo: info, argument: argument)
    }

    /// Consumes `length` bytes of string content and returns their offsets; for a text string
    /// they must be valid UTF-8.
    mutating func readStringBytes(_ length: UInt64, text: Bool) throws(CBORFailure) -> Range<Int> {
        guard length <= UInt64(remainingBytes) else {
            throw failure("truncated: a string declares \(length) bytes, \(remainingBytes) remain")
        }
        let range = position..<position + Int(length)
        if text, let bad = Self.firstInvalidUTF8(base + range.lowerBound, range.count) {
            throw CBORFailure(reason: "invalid UTF-8 in a text string", position: range.lowerBound + bad)
        }
        position = range.upperBound
        return range
    }

    /// The bytes at `range` (offsets this reader returned).
    func bytes(_ range: Range<Int>) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: base + range.lowerBound, count: range.count)
    }

    /// Checks that a container of `count` items (each at least one byte) fits in what is left,
    /// before anything sized by `count` exists.
    func checkItemCount(_ count: UInt64, itemsPerEntry: UInt64) throws(CBORFailure) {
        let available = UInt64(remainingBytes) / itemsPerEntry
        guard count <= available else {
            throw failure("truncated: a container declares \(count) entries, at most \(available) fit in the bytes that remain")
        }
    }

    func failure(_ reason: String) -> CBORFailure {
        CBORFailure(reason: reason, position: position)
    }

    /// Offset of the first byte that breaks UTF-8 (RFC 3629: no overlong forms, no surrogates,
    /// nothing above U+10FFFF), or nil.
    static func firstInvalidUTF8(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> Int? {
        var index = 0
        while index < count {
            let lead = bytes[index]
            if lead < 0x80 { index += 1; continue }
            let length: Int
            var lower: UInt8 = 0x80, upper: UInt8 = 0xBF
            switch lead {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; lower = 0xA0
            case 0xE1...0xEC, 0xEE, 0xEF: length = 3
            case 0xED: length = 3; upper = 0x9F
            case 0xF0: length = 4; lower = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; upper = 0x8F
            default: return index
            }
            guard count - index >= length else { return index }
            let second = bytes[index + 1]
            guard second >= lower && second <= upper else { return index }
            for offset in 2..<max(2, length) where bytes[index + offset] & 0xC0 != 0x80 { return index }
            index += length
        }
        return nil
    }
}
