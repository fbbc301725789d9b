/// A strict, streaming JSON validator that materialises nothing.
///
/// Why it exists: the router never reads an application payload (`Arguments`, `ArgumentsKw`), yet
/// letting jansson validate it means building a full tree of it first, and jansson's tree costs
/// up to ~80 bytes per byte of input (`[{},{},...]`: 4 MiB of text became ~300 MiB). This scanner
/// checks the same grammar in one pass over the bytes with a fixed-size container stack, so a
/// payload costs no memory beyond the frame that holds it. jansson is then given only the envelope.
///
/// It accepts exactly what jansson 2.x accepts with the decoder's flags (`JSON_DECODE_ANY`,
/// `JSON_ALLOW_NUL`), except that integers beyond 64 bits are valid (JSON sets no limit; before
/// this scanner the decoder got there by re-parsing with `JSON_DECODE_INT_AS_REAL`): RFC 8259
/// grammar, strict UTF-8 (no overlong forms, no encoded surrogates, nothing above U+10FFFF),
/// no control characters in strings, escapes `\" \\ \/ \b \f \n \r \t \uXXXX` with `\uXXXX`
/// surrogates only as a high-low pair, no `\u0000` in object keys, no number that overflows a
/// double, and at most `maximumDepth` nested values. `JSONTextScannerTests` checks this against
/// jansson itself on a corpus and on generated inputs.
struct JSONTextScanner {
    /// jansson's `JSON_PARSER_MAX_DEPTH`: a value inside 2047 containers is the deepest allowed.
    static let maximumDepth = 2048

    /// Where a scan failed: `position` is the byte offset of the offending byte.
    struct Failure: Error {
        var reason: String
        var position: Int
    }

    private let base: UnsafePointer<UInt8>
    private let end: Int
    private var position = 0

    /// Top-level array elements seen so far, when the text is an array (see `MessageLayout`).
    private(set) var layout = MessageLayout()
    /// When non-nil, the end offset of every integer beyond 64 bits is appended (the envelope
    /// rewrite needs them; never collected for payloads).
    private var bigIntegerEnds: [Int]?

    private init(_ bytes: UnsafeRawBufferPointer, collectingBigIntegers: Bool) {
        // An empty buffer may have no base address; any non-nil pointer will do for 0 bytes.
        self.base = bytes.baseAddress.map { $0.assumingMemoryBound(to: UInt8.self) }
            ?? UnsafePointer(bitPattern: 1)!
        self.end = bytes.count
        self.bigIntegerEnds = collectingBigIntegers ? [] : nil
    }

    /// Validates `bytes` as one JSON text and describes its top-level array, if it is one.
    static func scanMessage(_ bytes: UnsafeRawBufferPointer) throws(Failure) -> MessageLayout {
        var scanner = JSONTextScanner(bytes, collectingBigIntegers: false)
        try scanner.scanText()
        return scanner.layout
    }

    /// Whether `bytes` is one JSON text.
    static func isValid(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var scanner = JSONTextScanner(bytes, collectingBigIntegers: false)
        do { try scanner.scanText() } catch { return false }
        return true
    }

    /// End offsets (relative to `bytes`) of the integers beyond 64 bits in an already validated text.
    static func bigIntegerEnds(in bytes: UnsafeRawBufferPointer) -> [Int] {
        var scanner = JSONTextScanner(bytes, collectingBigIntegers: true)
        try? scanner.scanText()
        return scanner.bigIntegerEnds ?? []
    }

    // MARK: Grammar

    private static let openArray = UInt8(ascii: "["), closeArray = UInt8(ascii: "]")
    private static let openObject = UInt8(ascii: "{"), closeObject = UInt8(ascii: "}")
    private static let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")
    private static let comma = UInt8(ascii: ","), colon = UInt8(ascii: ":")

    /// One value and nothing but whitespace after it. Iterative: the container stack is a bit
    /// per level (1 = object) in a fixed 2048-bit buffer on the stack, so deep input costs no heap.
    private mutating func scanText() throws(Failure) {
        try withUnsafeTemporaryAllocation(of: UInt64.self, capacity: Self.maximumDepth / 64) { (stack) throws(Failure) in
            try scanValues(stack)
        }
        skipWhitespace()
        guard position == end else { throw failure("unexpected text after the JSON value") }
    }

    private mutating func scanValues(_ stack: UnsafeMutableBufferPointer<UInt64>) throws(Failure) {
        var depth = 0  // open containers; bit `depth` of `stack` is 1 for an object, 0 for an array

        // Each turn of this loop scans one value, then climbs out of every container that ends
        // after it, until the next value is due (after a ',' or an object key) or the text ends.
        while true {
            skipWhitespace()
            guard position < end else { throw failure("premature end of input") }
            guard depth < Self.maximumDepth else {
                throw failure("nesting deeper than \(Self.maximumDepth) levels")
            }
            if depth == 1 { layout.elementStarts(at: position) }
            let byte = base[position]
            if byte == Self.openArray || byte == Self.openObject {
                let isObject = byte == Self.openObject
                if depth == 0 { layout.isArray = !isObject }
                position += 1
                let word = depth >> 6, bit = UInt64(1) << UInt64(depth & 63)
                if isObject { stack[word] |= bit } else { stack[word] &= ~bit }
                depth += 1
                skipWhitespace()
                if position < end, base[position] == (isObject ? Self.closeObject : Self.closeArray) {
                    position += 1
                    depth -= 1
                } else {
                    if isObject { try scanKey() }
                    continue
                }
            } else {
                switch byte {
                case Self.quote:
                    try scanString(isKey: false)
                case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                    try scanNumber(depth: depth)
                case UInt8(ascii: "t"):
                    try scanLiteral("true")
                case UInt8(ascii: "f"):
                    try scanLiteral("false")
                case UInt8(ascii: "n"):
                    try scanLiteral("null")
                default:
                    throw failure("unexpected character")
                }
            }
            // A value just ended; close containers until one continues.
            while true {
                if depth == 1 { layout.elementEnds(at: position) }
                guard depth > 0 else { return }
                let level = depth - 1
                let inObject = stack[level >> 6] & (UInt64(1) << UInt64(level & 63)) != 0
                skipWhitespace()
                guard position < end else { throw failure("premature end of input") }
                let byte = base[position]
                position += 1
                if byte == Self.comma {
                    if inObject {
                        skipWhitespace()
                        try scanKey()
                    }
                    break
                }
                guard byte == (inObject ? Self.closeObject : Self.closeArray) else {
                    position -= 1
                    throw failure(inObject ? "',' or '}' expected" : "',' or ']' expected")
                }
                depth -= 1
            }
        }
    }

    /// `"key" :`, leaving `position` at the member's value.
    private mutating func scanKey() throws(Failure) {
        guard position < end, base[position] == Self.quote else { throw failure("string or '}' expected") }
        try scanString(isKey: true)
        skipWhitespace()
        guard position < end, base[position] == Self.colon else { throw failure("':' expected") }
        position += 1
    }

    @inline(__always)
    private mutating func skipWhitespace() {
        while position < end {
            switch base[position] {
            case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"): position += 1
            default: return
            }
        }
    }

    private mutating func scanLiteral(_ word: StaticString) throws(Failure) {
        let length = word.utf8CodeUnitCount
        guard end - position >= length else { throw failure("invalid literal") }
        for offset in 0..<length where base[position + offset] != word.utf8Start[offset] {
            throw failure("invalid literal")
        }
        position += length
    }

    // MARK: Strings

    /// A string starting at the quote under `position`, ending after its closing quote.
    private mutating func scanString(isKey: Bool) throws(Failure) {
        position += 1
        while true {
            // The common case first: printable ASCII that is neither quote nor backslash.
            while position < end, base[position] >= 0x20, base[position] < 0x80,
                  base[position] != Self.quote, base[position] != Self.backslash {
                position += 1
            }
            guard position < end else { throw failure("premature end of input inside a string") }
            let byte = base[position]
            switch byte {
            case Self.quote:
                position += 1
                return
            case Self.backslash:
                try scanEscape(isKey: isKey)
            case 0..<0x20:
                throw failure("control character 0x\(String(byte, radix: 16)) inside a string")
            default:
                try scanMultiByteCharacter()
            }
        }
    }

    private mutating func scanEscape(isKey: Bool) throws(Failure) {
        let escapeStart = position
        position += 1
        guard position < end else { throw failure("premature end of input inside a string") }
        switch base[position] {
        case Self.quote, Self.backslash, UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
             UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            position += 1
        case UInt8(ascii: "u"):
            position += 1
            let unit = try hexQuad()
            switch unit {
            case 0xD800...0xDBFF:
                guard end - position >= 2, base[position] == Self.backslash, base[position + 1] == UInt8(ascii: "u") else {
                    throw Failure(reason: "high surrogate escape without a low surrogate after it", position: escapeStart)
                }
                position += 2
                guard (0xDC00...0xDFFF).contains(try hexQuad()) else {
                    throw Failure(reason: "high surrogate escape without a low surrogate after it", position: escapeStart)
                }
            case 0xDC00...0xDFFF:
                throw Failure(reason: "low surrogate escape without a high surrogate before it", position: escapeStart)
            case 0 where isKey:
                throw Failure(reason: "\\u0000 in an object key", position: escapeStart)
            default:
                break
            }
        default:
            throw failure("invalid escape")
        }
    }

    private mutating func hexQuad() throws(Failure) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard position < end else { throw failure("premature end of input inside a \\u escape") }
            let byte = base[position]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte &- UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte &- UInt8(ascii: "a") &+ 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte &- UInt8(ascii: "A") &+ 10
            default: throw failure("invalid \\u escape")
            }
            value = value << 4 | UInt32(digit)
            position += 1
        }
        return value
    }

    /// One UTF-8 sequence of 2 to 4 bytes: shortest form, no surrogates, at most U+10FFFF.
    private mutating func scanMultiByteCharacter() throws(Failure) {
        let lead = base[position]
        let length: Int
        var minimum: UInt32
        var scalar: UInt32
        switch lead {
        case 0xC2...0xDF: length = 2; minimum = 0x80; scalar = UInt32(lead & 0x1F)
        case 0xE0...0xEF: length = 3; minimum = 0x800; scalar = UInt32(lead & 0x0F)
        case 0xF0...0xF4: length = 4; minimum = 0x10000; scalar = UInt32(lead & 0x07)
        default: throw failure("invalid UTF-8 byte 0x\(String(lead, radix: 16))")
        }
        guard end - position >= length else { throw failure("truncated UTF-8 sequence") }
        for offset in 1..<length {
            let byte = base[position + offset]
            guard byte & 0xC0 == 0x80 else { throw failure("invalid UTF-8 sequence") }
            scalar = scalar << 6 | UInt32(byte & 0x3F)
        }
        guard scalar >= minimum, scalar <= 0x10FFFF, !(0xD800...0xDFFF).contains(scalar) else {
            throw failure("invalid UTF-8 sequence")
        }
        position += length
    }

    // MARK: Numbers

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`. Rejects what would overflow a
    /// double (jansson's "real number overflow"), notes integers beyond 64 bits.
    private mutating func scanNumber(depth: Int) throws(Failure) {
        let start = position
        let negative = base[position] == UInt8(ascii: "-")
        if negative { position += 1 }
        let integerStart = position
        guard position < end, isDigit(base[position]) else { throw failure("invalid number") }
        if base[position] == UInt8(ascii: "0") {
            position += 1
        } else {
            while position < end, isDigit(base[position]) { position += 1 }
        }
        let integerDigits = position - integerStart
        var isInteger = true
        var exponent = 0
        if position < end, base[position] == UInt8(ascii: ".") {
            isInteger = false
            position += 1
            guard position < end, isDigit(base[position]) else { throw failure("invalid number: digit expected after '.'") }
            while position < end, isDigit(base[position]) { position += 1 }
        }
        if position < end, base[position] | 0x20 == UInt8(ascii: "e") {
            isInteger = false
            position += 1
            var exponentSign = 1
            if position < end, base[position] == UInt8(ascii: "+") || base[position] == UInt8(ascii: "-") {
                if base[position] == UInt8(ascii: "-") { exponentSign = -1 }
                position += 1
            }
            guard position < end, isDigit(base[position]) else { throw failure("invalid number: digit expected in exponent") }
            while position < end, isDigit(base[position]) {
                exponent = min(exponent * 10 + Int(base[position] &- UInt8(ascii: "0")), 1 << 32)
                position += 1
            }
            exponent *= exponentSign
        }
        if isInteger {
            let fits = fitsInt64(integerStart, integerDigits, negative: negative)
            if !fits {
                layout.containsBigInteger(directElement: depth == 1)
                bigIntegerEnds?.append(position)
            }
            if depth == 1, layout.count == 0 {
                layout.firstElementIsInteger(fits ? integerValue(integerStart, integerDigits, negative: negative) : nil)
            }
        }
        // |value| < 10^(integerDigits + exponent): at most 10^308 cannot overflow. Anything that
        // might goes through the correctly rounded parser, as jansson's strtod does.
        if integerDigits + exponent > 308, overflowsDouble(start..<position) {
            throw Failure(reason: "number overflows a double", position: start)
        }
    }

    @inline(__always)
    private func isDigit(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "0") < 10 }

    private func fitsInt64(_ start: Int, _ digits: Int, negative: Bool) -> Bool {
        if digits < 19 { return true }
        if digits > 19 { return false }
        let limit: StaticString = negative ? "9223372036854775808" : "9223372036854775807"
        for offset in 0..<19 {
            let digit = base[start + offset], limitDigit = limit.utf8Start[offset]
            if digit != limitDigit { return digit < limitDigit }
        }
        return true
    }

    /// The value of an integer token known to fit in 64 bits.
    private func integerValue(_ start: Int, _ digits: Int, negative: Bool) -> Int64 {
        var magnitude: UInt64 = 0
        for offset in 0..<digits { magnitude = magnitude &* 10 &+ UInt64(base[start + offset] &- UInt8(ascii: "0")) }
        return negative ? Int64(bitPattern: 0 &- magnitude) : Int64(bitPattern: magnitude)
    }

    private func overflowsDouble(_ range: Range<Int>) -> Bool {
        let text = String(decoding: UnsafeBufferPointer(start: base + range.lowerBound, count: range.count), as: UTF8.self)
        return Double(text)?.isInfinite ?? true
    }

    private func failure(_ reason: String) -> Failure {
        Failure(reason: reason, position: position)
    }
}

/// What the scanner learned about a message's top-level array: how many elements, where the
/// first `recorded` of them are, and which hold integers beyond 64 bits. Fixed size, no heap.
struct MessageLayout {
    /// The longest WAMP message: ERROR with Arguments and ArgumentsKw.
    static let recorded = 7

    var isArray = false
    private(set) var count = 0
    private var starts = SIMD8<Int>()
    private var ends = SIMD8<Int>()
    /// Bit i: element i contains an integer beyond 64 bits somewhere.
    private var bigIntegerInside: UInt8 = 0
    /// Bit i: element i is itself an integer beyond 64 bits.
    private var bigIntegerItself: UInt8 = 0
    /// Element 0 as an integer token: `.some(nil)` when it is one beyond 64 bits.
    private(set) var firstInteger: Int64?? = nil

    mutating func elementStarts(at offset: Int) {
        if count < Self.recorded { starts[count] = offset }
    }

    mutating func elementEnds(at offset: Int) {
        if count < Self.recorded { ends[count] = offset }
        count += 1
    }

    mutating func firstElementIsInteger(_ value: Int64?) {
        if isArray { firstInteger = .some(value) }
    }

    mutating func containsBigInteger(directElement: Bool) {
        guard isArray, count < Self.recorded else { return }
        bigIntegerInside |= 1 << UInt8(count)
        if directElement { bigIntegerItself |= 1 << UInt8(count) }
    }

    /// Byte range of element `index` (< `recorded`, < `count`).
    func range(_ index: Int) -> Range<Int> { starts[index]..<ends[index] }

    func containsBigInteger(_ index: Int) -> Bool { index < Self.recorded && bigIntegerInside & (1 << UInt8(index)) != 0 }

    func isBigInteger(_ index: Int) -> Bool { index < Self.recorded && bigIntegerItself & (1 << UInt8(index)) != 0 }
}
