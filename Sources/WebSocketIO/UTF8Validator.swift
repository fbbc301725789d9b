/// Incremental UTF-8 validator (RFC 3629) for text messages.
///
/// Bytes are fed chunk by chunk as they arrive (frame fragments, or pieces of one frame), and the
/// validator answers `false` at the first chunk that contains an invalid byte, so a connection can be
/// failed fast instead of at the end of the message. A sequence may be split across chunks; call
/// `isComplete` at the end of the message to reject a truncated trailing sequence.
public struct UTF8Validator: Sendable {
    /// Continuation bytes still expected for the current sequence.
    private var needed: UInt8 = 0
    /// Allowed range of the next continuation byte (narrowed after E0, ED, F0, F4 lead bytes).
    private var lower: UInt8 = 0x80
    private var upper: UInt8 = 0xBF
    /// Sticky failure.
    public private(set) var failed = false

    public init() {}

    /// True when no multi-byte sequence is pending (valid end of a text message).
    public var isComplete: Bool { !self.failed && self.needed == 0 }

    /// Reset for a new message.
    public mutating func reset() {
        self = UTF8Validator()
    }

    /// Validates the next chunk; returns `false` as soon as an invalid byte is seen.
    public mutating func validate<Bytes: Sequence>(_ bytes: Bytes) -> Bool where Bytes.Element == UInt8 {
        let fast = bytes.withContiguousStorageIfAvailable { self.validate(UnsafeRawBufferPointer($0)) }
        if let fast { return fast }
        return Array(bytes).withUnsafeBytes { self.validate($0) }
    }

    /// Validates the next chunk; returns `false` as soon as an invalid byte is seen.
    public mutating func validate(_ bytes: UnsafeRawBufferPointer) -> Bool {
        if self.failed { return false }
        let count = bytes.count
        var index = 0
        var needed = self.needed
        var lower = self.lower
        var upper = self.upper
        defer {
            self.needed = needed
            self.lower = lower
            self.upper = upper
        }
        while index < count {
            if needed == 0 {
                // ASCII fast path, eight bytes at a time.
                while index &+ 8 <= count {
                    let word = bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                    if word & 0x8080_8080_8080_8080 != 0 { break }
                    index &+= 8
                }
                if index >= count { break }
                let byte = bytes[index]
                index &+= 1
                switch byte {
                case 0x00...0x7F:
                    continue
                case 0xC2...0xDF:
                    needed = 1; lower = 0x80; upper = 0xBF
                case 0xE0:
                    needed = 2; lower = 0xA0; upper = 0xBF
                case 0xE1...0xEC, 0xEE, 0xEF:
                    needed = 2; lower = 0x80; upper = 0xBF
                case 0xED:
                    needed = 2; lower = 0x80; upper = 0x9F  // no UTF-16 surrogates
                case 0xF0:
                    needed = 3; lower = 0x90; upper = 0xBF  // no overlong 4-byte forms
                case 0xF1...0xF3:
                    needed = 3; lower = 0x80; upper = 0xBF
                case 0xF4:
                    needed = 3; lower = 0x80; upper = 0x8F  // nothing above U+10FFFF
                default:
                    self.failed = true
                    return false
                }
            } else {
                let byte = bytes[index]
                index &+= 1
                guard byte >= lower && byte <= upper else {
                    self.failed = true
                    return false
                }
                needed &-= 1
                lower = 0x80
                upper = 0xBF
            }
        }
        return true
    }
}
