/// `BinaryScanner` over CBOR (definite and indefinite lengths, tags skipped with their item).
struct CBORBenchScanner: BinaryScanner {
    let bytes: UnsafeRawBufferPointer
    private(set) var index = 0

    /// Nesting deeper than this is refused rather than followed (the skipper recurses).
    private static let maxDepth = 64

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    private enum Argument {
        case value(UInt64)
        case indefinite
    }

    /// The head of the next item: major type and argument (additional info 31 = indefinite).
    @inline(__always)
    private mutating func readHead() -> (major: UInt8, argument: Argument)? {
        guard index < bytes.count else { return nil }
        let initial = bytes[index]
        index += 1
        let info = initial & 0x1F
        let width: Int
        switch info {
        case 0..<24: return (initial >> 5, .value(UInt64(info)))
        case 24: width = 1
        case 25: width = 2
        case 26: width = 4
        case 27: width = 8
        case 31: return (initial >> 5, .indefinite)
        default: return nil  // 28-30 are reserved
        }
        guard width <= bytes.count - index else { return nil }
        var value: UInt64 = 0
        for offset in 0..<width { value = value << 8 | UInt64(bytes[index + offset]) }
        index += width
        return (initial >> 5, .value(value))
    }

    mutating func readArrayLength() -> BinaryArrayLength? {
        guard let head = readHead(), head.major == 4 else { return nil }
        switch head.argument {
        case .value(let count): return count <= UInt64(bytes.count - index) ? .count(Int(count)) : nil
        case .indefinite: return .indefinite
        }
    }

    mutating func readUInt() -> UInt64? {
        guard let head = readHead(), head.major == 0, case .value(let value) = head.argument else { return nil }
        return value
    }

    mutating func skipValue() -> Bool { skip(depth: 0) }

    private var atBreak: Bool { index < bytes.count && bytes[index] == 0xFF }

    private mutating func skip(depth: Int) -> Bool {
        guard depth < Self.maxDepth, let head = readHead() else { return false }
        switch (head.major, head.argument) {
        case (0, .value), (1, .value):
            return true
        case (2, .value(let length)), (3, .value(let length)):
            guard length <= UInt64(bytes.count - index) else { return false }
            index += Int(length)
            return true
        case (2, .indefinite), (3, .indefinite):
            // Chunks of the same major type up to the break.
            while !atBreak {
                guard skip(depth: depth + 1) else { return false }
            }
            index += 1
            return true
        case (4, .value(let count)), (5, .value(let count)):
            // Every item takes at least one byte: more items than bytes left is a lie.
            guard count <= UInt64(bytes.count - index) else { return false }
            let items = head.major == 5 ? count * 2 : count
            for _ in 0..<items {
                guard skip(depth: depth + 1) else { return false }
            }
            return true
        case (4, .indefinite), (5, .indefinite):
            while !atBreak {
                guard skip(depth: depth + 1) else { return false }
            }
            guard index < bytes.count else { return false }
            index += 1
            return true
        case (6, .value):
            return skip(depth: depth + 1)
        case (7, .value):
            // Simple values and floats: readHead already consumed their bytes.
            return true
        default:
            return false
        }
    }
}
