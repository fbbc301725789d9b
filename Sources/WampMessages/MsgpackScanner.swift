/// Validates a MessagePack message in one pass and finds the byte range of each top-level
/// element, building nothing.
///
/// Why it exists: the router keeps `Arguments`/`ArgumentsKw` as slices of the received bytes and
/// never builds a tree of them, so the decoder needs their ranges and a proof that they are
/// well-formed, at a cost that does not depend on what a peer declares. The scan is iterative:
/// open containers are a count of items still due each (16 levels inline, deeper ones in an
/// array that grows only with real nesting), so deep input costs no recursion. It accepts what
/// `MsgpackValueCodec` accepts (strict UTF-8, string map keys, no extension types) with the
/// JSON scanner's depth bound, so a MessagePack message is held to what a JSON one is.
enum MsgpackScanner {
    /// `JSONTextScanner.maximumDepth`: a value inside this many containers is refused.
    static let maximumDepth = JSONTextScanner.maximumDepth

    /// Validates `bytes` as exactly one MessagePack value and describes its top-level array, if
    /// it is one.
    static func scanMessage(_ bytes: UnsafeRawBufferPointer) throws(MsgpackReader.Failure) -> MessageLayout {
        var reader = MsgpackReader(bytes)
        var layout = MessageLayout()
        if case .array(let count) = try reader.next() {
            layout.isArray = true
            for _ in 0..<count {
                layout.elementStarts(at: reader.position)
                try skipValue(&reader, enclosingDepth: 1)
                layout.elementEnds(at: reader.position)
            }
        } else {
            reader = MsgpackReader(bytes)
            try skipValue(&reader, enclosingDepth: 0)
        }
        guard reader.isAtEnd else {
            throw MsgpackReader.Failure(reason: "unexpected bytes after the MessagePack value", position: reader.position)
        }
        return layout
    }

    /// Whether `bytes` is exactly one MessagePack value by these rules.
    static func isValid(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var reader = MsgpackReader(bytes)
        do { try skipValue(&reader, enclosingDepth: 0) } catch { return false }
        return reader.isAtEnd
    }

    /// Reads one whole value (nested items included) found inside `enclosingDepth` containers.
    static func skipValue(_ reader: inout MsgpackReader, enclosingDepth: Int) throws(MsgpackReader.Failure) {
        var open = OpenContainers()
        // Each turn reads one item, then counts off every container that it completes.
        while true {
            let start = reader.position
            guard enclosingDepth + open.count < maximumDepth else {
                throw MsgpackReader.Failure(reason: "nesting deeper than \(maximumDepth) levels", position: start)
            }
            let keyIsDue = open.count > 0 && open.top.isMap && open.top.itemsLeft % 2 == 0
            let token = try reader.next()
            if keyIsDue && !token.isString {
                throw MsgpackReader.Failure(reason: "a map key must be a string", position: start)
            }
            switch token {
            case .array(let count) where count > 0:
                open.push(OpenContainers.Entry(itemsLeft: count, isMap: false))
                continue
            case .map(let count) where count > 0:
                open.push(OpenContainers.Entry(itemsLeft: 2 * count, isMap: true))
                continue
            default:
                break
            }
            while open.count > 0 {
                open.top.itemsLeft -= 1
                if open.top.itemsLeft > 0 { break }
                open.pop()
            }
            if open.count == 0 { return }
        }
    }

    /// The containers a scan is inside, innermost on top.
    private struct OpenContainers {
        struct Entry {
            /// Items still due; a map counts keys and values, so an even count means a key is next.
            var itemsLeft: Int
            var isMap: Bool

            init(itemsLeft: Int, isMap: Bool) {
                self.itemsLeft = itemsLeft
                self.isMap = isMap
            }

            init(packed: Int) {
                self.itemsLeft = packed >> 1
                self.isMap = packed & 1 == 1
            }

            var packed: Int { itemsLeft << 1 | (isMap ? 1 : 0) }
        }

        private static let inlineCapacity = 16
        private var inline = SIMD16<Int>()
        private var overflow: [Int] = []
        private(set) var count = 0

        mutating func push(_ entry: Entry) {
            if count < Self.inlineCapacity { inline[count] = entry.packed } else { overflow.append(entry.packed) }
            count += 1
        }

        mutating func pop() {
            count -= 1
            if count >= Self.inlineCapacity { overflow.removeLast() }
        }

        var top: Entry {
            get {
                Entry(packed: count <= Self.inlineCapacity ? inline[count - 1] : overflow[count - 1 - Self.inlineCapacity])
            }
            set {
                if count <= Self.inlineCapacity {
                    inline[count - 1] = newValue.packed
                } else {
                    overflow[count - 1 - Self.inlineCapacity] = newValue.packed
                }
            }
        }
    }
}
