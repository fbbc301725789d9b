/// The initial byte of a CBOR data item and the argument that follows it (RFC 8949 §3): the
/// value of an integer, the length of a string or container, a tag number, a simple value or
/// the bits of a float.
struct CBORHead {
    static let unsigned: UInt8 = 0
    static let negative: UInt8 = 1
    static let byteString: UInt8 = 2
    static let textString: UInt8 = 3
    static let array: UInt8 = 4
    static let map: UInt8 = 5
    static let tag: UInt8 = 6
    static let simple: UInt8 = 7

    /// Tag 55799 marks bytes as CBOR and means nothing else; decoders here skip it.
    static let selfDescribeTag: UInt64 = 55799

    var majorType: UInt8
    var additionalInfo: UInt8
    var argument: UInt64

    /// Additional info 31: an indefinite-length string or container, or (major type 7) a break.
    var isIndefinite: Bool { additionalInfo == 31 }
    var isBreak: Bool { majorType == Self.simple && additionalInfo == 31 }

    /// The value of a major type 7 float head (additional info 25, 26, 27), widened exactly.
    var floatValue: Double? {
        guard majorType == Self.simple else { return nil }
        switch additionalInfo {
        case 25: return Self.halfToDouble(UInt16(truncatingIfNeeded: argument))
        case 26: return Double(Float(bitPattern: UInt32(truncatingIfNeeded: argument)))
        case 27: return Double(bitPattern: argument)
        default: return nil
        }
    }

    /// IEEE 754 binary16 to binary64. Every half value is exactly a double, so this is exact
    /// (Swift's Float16 is not available on every platform this builds on).
    static func halfToDouble(_ bits: UInt16) -> Double {
        let sign: FloatingPointSign = bits & 0x8000 != 0 ? .minus : .plus
        let exponent = Int(bits >> 10 & 0x1F)
        let fraction = Double(bits & 0x3FF)
        switch exponent {
        case 0: return Double(sign: sign, exponent: -24, significand: fraction)
        case 31: return fraction == 0 ? (sign == .minus ? -.infinity : .infinity) : .nan
        default: return Double(sign: sign, exponent: exponent - 25, significand: fraction + 1024)
        }
    }
}
