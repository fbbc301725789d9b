import CJansson
import NIOCore

/// Hands jansson the envelope of a message (every element before `Arguments`) and nothing else.
///
/// The text jansson reads is the frame itself, streamed through `json_load_callback` in pieces:
/// the bytes up to the end of the last envelope element, then the `]` that closes the array.
/// No copy of the frame is made. Each integer beyond 64 bits in the envelope is fed with `.0`
/// after its digits, so jansson reads that one value as a real (which no option accepts where it
/// wants an integer) instead of failing the whole message: a `timeout` of 2^70 is then an invalid
/// timeout, and the other options read normally.
enum EnvelopeLoader {
    static func load(_ buffer: ByteBuffer, _ layout: MessageLayout, envelopeCount: Int) throws(WampDecodeError) -> UnsafeMutablePointer<json_t> {
        var error = json_error_t()
        let root: UnsafeMutablePointer<json_t>? = buffer.withUnsafeReadableBytes { bytes in
            let isCut = envelopeCount < layout.count
            var bigIntegerEnds: [Int] = []
            for index in 0..<envelopeCount where layout.containsBigInteger(index) {
                let range = layout.range(index)
                let element = UnsafeRawBufferPointer(rebasing: bytes[range])
                bigIntegerEnds += JSONTextScanner.bigIntegerEnds(in: element).map { $0 + range.lowerBound }
            }
            if !isCut && bigIntegerEnds.isEmpty {
                return json_loadb(bytes.baseAddress, bytes.count, JanssonFlags.decode, &error)
            }
            var feed = Feed(
                base: bytes.baseAddress!.assumingMemoryBound(to: UInt8.self),
                end: isCut ? layout.range(envelopeCount - 1).upperBound : bytes.count,
                closingBracketPending: isCut, insertions: bigIntegerEnds)
            return withUnsafeMutablePointer(to: &feed) { context in
                json_load_callback({ target, capacity, context in
                    context!.assumingMemoryBound(to: Feed.self).pointee.fill(target!.assumingMemoryBound(to: UInt8.self), capacity)
                }, context, JanssonFlags.decode, &error)
            }
        }
        guard let root else {
            // The scanner accepted the text, so only an allocation failure should land here.
            let text = withUnsafeBytes(of: &error.text) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            throw WampDecodeError(.invalidJSON, "message is not valid JSON: \(text) at byte \(error.position)")
        }
        return root
    }

    /// The pieces jansson reads, in order: frame bytes `position..<end` with `.0` at each of
    /// `insertions`, then `]` if the array was cut.
    private struct Feed {
        let base: UnsafePointer<UInt8>
        var position = 0
        let end: Int
        var closingBracketPending: Bool
        let insertions: [Int]
        var nextInsertion = 0

        init(base: UnsafePointer<UInt8>, end: Int, closingBracketPending: Bool, insertions: [Int]) {
            self.base = base
            self.end = end
            self.closingBracketPending = closingBracketPending
            self.insertions = insertions
        }

        /// Fills up to `capacity` bytes; 0 means end of input.
        mutating func fill(_ target: UnsafeMutablePointer<UInt8>, _ capacity: Int) -> Int {
            var written = 0
            while written < capacity {
                let insertion = nextInsertion < insertions.count ? insertions[nextInsertion] : Int.max
                if position == insertion {
                    guard capacity - written >= 2 else { break }
                    target[written] = UInt8(ascii: ".")
                    target[written + 1] = UInt8(ascii: "0")
                    written += 2
                    nextInsertion += 1
                } else if position < end {
                    let count = min(min(end, insertion) - position, capacity - written)
                    (target + written).update(from: base + position, count: count)
                    position += count
                    written += count
                } else if closingBracketPending {
                    target[written] = UInt8(ascii: "]")
                    written += 1
                    closingBracketPending = false
                } else {
                    break
                }
            }
            return written
        }
    }
}
