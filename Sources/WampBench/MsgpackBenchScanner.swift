/// `BinaryScanner` over MessagePack.
struct MsgpackBenchScanner: BinaryScanner {
    let bytes: UnsafeRawBufferPointer
    private(set) var index = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// The next `width` bytes as a big-endian integer, or nil past the end.
    @inline(__always)
    private mutating func readBigEndian(_ width: Int) -> UInt64? {
        guard width <= bytes.count - index else { return nil }
        var value: UInt64 = 0
        for offset in 0..<width { value = value << 8 | UInt64(bytes[index + offset]) }
        index += width
        return value
    }

    @inline(__always)
    private mutating func readByte() -> UInt8? {
        guard index < bytes.count else { return nil }
        defer { index += 1 }
        return bytes[index]
    }

    mutating func readArrayLength() -> BinaryArrayLength? {
        guard let head = readByte() else { return nil }
        switch head {
        case 0x90...0x9F: return .count(Int(head & 0x0F))
        case 0xDC: return readBigEndian(2).map { .count(Int($0)) }
        case 0xDD: return readBigEndian(4).map { .count(Int($0)) }
        default: return nil
        }
    }

    mutating func readUInt() -> UInt64? {
        guard let head = readByte() else { return nil }
        switch head {
        case 0x00...0x7F: return UInt64(head)
        case 0xCC: return readBigEndian(1)
        case 0xCD: return readBigEndian(2)
        case 0xCE: return readBigEndian(4)
        case 0xCF: return readBigEndian(8)
        default: return nil
        }
    }

    /// Iterative: counts the items still to skip, so nesting depth costs no stack.
    mutating func skipValue() -> Bool {
        var pending = 1
        while pending > 0 {
            guard let head = readByte() else { return false }
            pending -= 1
            var skipBytes = 0
            switch head {
            case 0x00...0x7F, 0xE0...0xFF, 0xC0, 0xC2, 0xC3: break
            case 0x80...0x8F: pending += 2 * Int(head & 0x0F)
            case 0x90...0x9F: pending += Int(head & 0x0F)
            case 0xA0...0xBF: skipBytes = Int(head & 0x1F)
            case 0xC4, 0xD9: guard let n = readBigEndian(1) else { return false }; skipBytes = Int(n)
            case 0xC5, 0xDA: guard let n = readBigEndian(2) else { return false }; skipBytes = Int(n)
            case 0xC6, 0xDB: guard let n = readBigEndian(4) else { return false }; skipBytes = Int(n)
            case 0xC7: guard let n = readBigEndian(1) else { return false }; skipBytes = Int(n) + 1
            case 0xC8: guard let n = readBigEndian(2) else { return false }; skipBytes = Int(n) + 1
            case 0xC9: guard let n = readBigEndian(4) else { return false }; skipBytes = Int(n) + 1
            case 0xCA, 0xCE, 0xD2: skipBytes = 4
            case 0xCB, 0xCF, 0xD3: skipBytes = 8
            case 0xCC, 0xD0: skipBytes = 1
            case 0xCD, 0xD1: skipBytes = 2
            case 0xD4: skipBytes = 2
            case 0xD5: skipBytes = 3
            case 0xD6: skipBytes = 5
            case 0xD7: skipBytes = 9
            case 0xD8: skipBytes = 17
            case 0xDC: guard let n = readBigEndian(2) else { return false }; pending += Int(n)
            case 0xDD: guard let n = readBigEndian(4) else { return false }; pending += Int(n)
            case 0xDE: guard let n = readBigEndian(2) else { return false }; pending += 2 * Int(n)
            case 0xDF: guard let n = readBigEndian(4) else { return false }; pending += 2 * Int(n)
            default: return false  // 0xC1 is never used
            }
            guard skipBytes <= bytes.count - index else { return false }
            index += skipBytes
            // Every item takes at least one byte: more pending items than bytes left is a lie.
            guard pending <= bytes.count - index else { return false }
        }
        return true
    }
}
