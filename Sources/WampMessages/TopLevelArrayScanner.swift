/// Finds where the elements of a top-level JSON array start and end in its text.
///
/// Runs only on text jansson has already accepted, so it needs no error handling: it tracks
/// strings (with their escapes) and bracket depth and nothing more. This is how the decoder keeps
/// the original bytes of `Arguments` and `ArgumentsKw` (see `RawJSON`).
enum TopLevelArrayScanner {
    /// Byte ranges of the (at most two) payload elements at `firstIndex` and `firstIndex + 1`.
    /// A pair rather than an array: this runs for every message with a payload.
    static func elementRanges(in bytes: UnsafeRawBufferPointer, from firstIndex: Int) -> (Range<Int>?, Range<Int>?) {
        var ranges: (Range<Int>?, Range<Int>?) = (nil, nil)
        var position = skipWhitespace(bytes, 0)
        guard position < bytes.count, bytes[position] == UInt8(ascii: "[") else { return ranges }
        position += 1
        var index = 0
        while true {
            position = skipWhitespace(bytes, position)
            guard position < bytes.count, bytes[position] != UInt8(ascii: "]") else { return ranges }
            let start = position
            position = skipValue(bytes, position)
            if index == firstIndex {
                ranges.0 = start..<position
            } else if index == firstIndex + 1 {
                ranges.1 = start..<position
                return ranges
            }
            index += 1
            position = skipWhitespace(bytes, position)
            guard position < bytes.count, bytes[position] == UInt8(ascii: ",") else { return ranges }
            position += 1
        }
    }

    private static func skipWhitespace(_ bytes: UnsafeRawBufferPointer, _ start: Int) -> Int {
        var position = start
        while position < bytes.count {
            switch bytes[position] {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"): position += 1
            default: return position
            }
        }
        return position
    }

    private static func skipString(_ bytes: UnsafeRawBufferPointer, _ start: Int) -> Int {
        var position = start + 1
        while position < bytes.count {
            switch bytes[position] {
            case UInt8(ascii: "\\"): position += 2
            case UInt8(ascii: "\""): return position + 1
            default: position += 1
            }
        }
        return position
    }

    private static func skipValue(_ bytes: UnsafeRawBufferPointer, _ start: Int) -> Int {
        var position = start
        switch bytes[position] {
        case UInt8(ascii: "\""):
            return skipString(bytes, position)
        case UInt8(ascii: "["), UInt8(ascii: "{"):
            var depth = 0
            while position < bytes.count {
                switch bytes[position] {
                case UInt8(ascii: "\""):
                    position = skipString(bytes, position)
                    continue
                case UInt8(ascii: "["), UInt8(ascii: "{"):
                    depth += 1
                case UInt8(ascii: "]"), UInt8(ascii: "}"):
                    depth -= 1
                    if depth == 0 { return position + 1 }
                default:
                    break
                }
                position += 1
            }
            return position
        default:
            while position < bytes.count {
                switch bytes[position] {
                case UInt8(ascii: ","), UInt8(ascii: "]"), UInt8(ascii: " "), UInt8(ascii: "\t"),
                     UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                    return position
                default:
                    position += 1
                }
            }
            return position
        }
    }
}
