/// Validates one CBOR message in a single pass and finds its top-level array elements, building
/// nothing: the CBOR counterpart of `JSONTextScanner`, so a payload costs no memory beyond the
/// frame that holds it and the router can keep it as a slice of the frame.
///
/// Iterative, with a fixed-size stack of open containers (`JSONTextScanner.maximumDepth`, one
/// word each), so depth costs no recursion and no heap. Every declared length and count is
/// checked against the bytes that remain before it is used, so no size a peer declares is
/// ever allocated. It accepts any well-formed CBOR (RFC 8949 Appendix F) with valid UTF-8 text:
/// tags, simple values and non-text map keys are well-formed and may travel in a payload to
/// peers of the same serializer; the envelope builder and the value codec refuse what JSON
/// and `WampValue` cannot hold. A leading self-describe tag (55799) on the message is allowed.
enum CBORScanner {
    static let maximumDepth = JSONTextScanner.maximumDepth

    /// Open-container word: the items left of a definite container (at least 1), or, for an
    /// indefinite one, `indefinite` plus `mapFlag` and the parity of the items seen.
    private static let indefinite: UInt64 = 1 << 63
    private static let mapFlag: UInt64 = 1 << 62

    static func scanMessage(_ bytes: UnsafeRawBufferPointer) throws(CBORFailure) -> MessageLayout {
        var reader = CBORReader(bytes)
        var layout = MessageLayout()
        try withUnsafeTemporaryAllocation(of: UInt64.self, capacity: maximumDepth) { (stack) throws(CBORFailure) in
            try scan(&reader, &layout, stack)
        }
        guard reader.isAtEnd else {
            throw reader.failure("\(reader.remainingBytes) bytes after the end of the message's data item")
        }
        return layout
    }

    private static func scan(_ reader: inout CBORReader, _ layout: inout MessageLayout, _ stack: UnsafeMutableBufferPointer<UInt64>) throws(CBORFailure) {
        var depth = 0
        var tagged = false  // the item being read follows a tag other than self-describe
        var afterTag = false  // ... or any tag (which must not be followed by a break)
        while true {
            let start = reader.position
            if depth == 1 && !tagged { layout.elementStarts(at: start) }
            let head = try reader.readHead()
            // As in JSONTextScanner: a value inside `maximumDepth` containers is one too deep.
            guard depth < maximumDepth || head.isBreak else {
                throw CBORFailure(reason: "nesting deeper than \(maximumDepth) levels", position: start)
            }
            var completed = true
            switch head.majorType {
            case CBORHead.unsigned, CBORHead.negative:
                let fits = head.argument <= UInt64(Int64.max)
                if depth == 1 && layout.count == 0 && !tagged {
                    let magnitude = Int64(truncatingIfNeeded: head.argument)
                    layout.firstElementIsInteger(!fits ? nil : head.majorType == CBORHead.unsigned ? magnitude : -1 - magnitude)
                }
                if !fits { layout.containsBigInteger(directElement: depth == 1 && !tagged) }
            case CBORHead.byteString, CBORHead.textString:
                try skipString(head, &reader)
            case CBORHead.array, CBORHead.map:
                let isMap = head.majorType == CBORHead.map
                if depth == 0 && !tagged { layout.isArray = !isMap }
                var word: UInt64
                if head.isIndefinite {
                    word = indefinite | (isMap ? mapFlag : 0)
                } else {
                    try reader.checkItemCount(head.argument, itemsPerEntry: isMap ? 2 : 1)
                    word = isMap ? head.argument * 2 : head.argument
                }
                if word != 0 {
                    stack[depth] = word
                    depth += 1
                    completed = false
                }
            case CBORHead.tag:
                // Self-describe says nothing about the item; any other tag makes it a tagged item.
                if head.argument != CBORHead.selfDescribeTag { tagged = true }
                afterTag = true
                continue
            default:
                if head.isBreak {
                    guard !afterTag else { throw CBORFailure(reason: "a tag must be followed by a data item, not a break", position: start) }
                    guard depth > 0, stack[depth - 1] & indefinite != 0 else {
                        throw CBORFailure(reason: "break outside an indefinite-length container", position: start)
                    }
                    guard stack[depth - 1] & mapFlag == 0 || stack[depth - 1] & 1 == 0 else {
                        throw CBORFailure(reason: "indefinite-length map ends after a key without its value", position: start)
                    }
                    depth -= 1
                }
            }
            tagged = false
            afterTag = false
            guard completed else { continue }
            // The item is complete: count it in its container, and close every container it fills.
            while true {
                if depth == 0 { return }
                if depth == 1 { layout.elementEnds(at: reader.position) }
                let word = stack[depth - 1]
                if word & indefinite != 0 {
                    stack[depth - 1] = word ^ 1
                    break
                }
                if word > 1 {
                    stack[depth - 1] = word - 1
                    break
                }
                depth -= 1
            }
        }
    }

    /// A definite string, or an indefinite one: definite chunks of the same major type up to a break.
    static func skipString(_ head: CBORHead, _ reader: inout CBORReader) throws(CBORFailure) {
        let isText = head.majorType == CBORHead.textString
        guard head.isIndefinite else {
            _ = try reader.readStringBytes(head.argument, text: isText)
            return
        }
        while true {
            let chunkStart = reader.position
            let chunk = try reader.readHead()
            if chunk.isBreak { return }
            guard chunk.majorType == head.majorType, !chunk.isIndefinite else {
                throw CBORFailure(
                    reason: "a chunk of an indefinite-length \(isText ? "text" : "byte") string must be a definite \(isText ? "text" : "byte") string",
                    position: chunkStart)
            }
            _ = try reader.readStringBytes(chunk.argument, text: isText)
        }
    }
}
