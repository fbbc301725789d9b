/// The WAMP spec's JSON spelling of binary values: a string of one NUL character followed by
/// the standard base64 of the bytes (with padding). MessagePack and CBOR carry binary natively,
/// so their envelope values become such strings in jansson (which only knows JSON), and such
/// strings become binary again when written back out.
enum BinaryText {
    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Bytes of the JSON string for `bytes`: NUL, then base64.
    static func encodedLength(_ count: Int) -> Int { 1 + (count + 2) / 3 * 4 }

    /// Writes the NUL and the base64 of `bytes` to `target`, which holds `encodedLength(bytes.count)`.
    static func encode(_ bytes: UnsafeRawBufferPointer, into target: UnsafeMutablePointer<UInt8>) {
        target[0] = 0
        var out = 1
        var index = 0
        while index + 3 <= bytes.count {
            let chunk = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            for shift in stride(from: 18, through: 0, by: -6) {
                target[out] = alphabet[Int(chunk >> UInt32(shift) & 0x3F)]
                out += 1
            }
            index += 3
        }
        let rest = bytes.count - index
        guard rest > 0 else { return }
        let chunk = UInt32(bytes[index]) << 16 | (rest == 2 ? UInt32(bytes[index + 1]) << 8 : 0)
        target[out] = alphabet[Int(chunk >> 18 & 0x3F)]
        target[out + 1] = alphabet[Int(chunk >> 12 & 0x3F)]
        target[out + 2] = rest == 2 ? alphabet[Int(chunk >> 6 & 0x3F)] : UInt8(ascii: "=")
        target[out + 3] = UInt8(ascii: "=")
    }

    /// The bytes a string spells when it is NUL followed by canonical padded base64 (the form
    /// `encode` writes, so a round trip gives back the same string); nil for any other string.
    static func decode(_ text: UnsafeRawBufferPointer) -> [UInt8]? {
        guard text.count >= 1, text[0] == 0, (text.count - 1) % 4 == 0 else { return nil }
        let groups = (text.count - 1) / 4
        var result: [UInt8] = []
        result.reserveCapacity(groups * 3)
        for group in 0..<groups {
            let at = 1 + group * 4
            let isLast = group == groups - 1
            var chunk: UInt32 = 0
            var padding = 0
            for offset in 0..<4 {
                let byte = text[at + offset]
                if byte == UInt8(ascii: "="), isLast, offset >= 2 {
                    padding += 1
                    chunk <<= 6
                    continue
                }
                guard padding == 0, let digit = sextet(byte) else { return nil }
                chunk = chunk << 6 | UInt32(digit)
            }
            // Canonical form only: the bits a padded group does not carry must be zero.
            if padding == 2 && chunk & 0xFFFF != 0 || padding == 1 && chunk & 0xFF != 0 { return nil }
            result.append(UInt8(chunk >> 16 & 0xFF))
            if padding < 2 { result.append(UInt8(chunk >> 8 & 0xFF)) }
            if padding < 1 { result.append(UInt8(chunk & 0xFF)) }
        }
        return result
    }

    private static func sextet(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): byte - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): byte - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+"): 62
        case UInt8(ascii: "/"): 63
        default: nil
        }
    }
}
