/// One MessagePack item as `MsgpackReader` reads it: a scalar, or the header of a string,
/// binary, array or map. Strings and binaries are byte ranges of the input (no copy), and
/// containers are only their counts, so reading costs nothing a peer's declared sizes decide.
enum MsgpackToken {
    case null
    case bool(Bool)
    /// Every integer format whose value fits Int64.
    case integer(Int64)
    /// A uint64 above `Int64.max` (the only value `.integer` cannot hold).
    case unsignedInteger(UInt64)
    /// float64, or float32 widened exactly.
    case double(Double)
    /// Valid UTF-8, at these offsets of the input.
    case string(Range<Int>)
    case binary(Range<Int>)
    case array(count: Int)
    case map(count: Int)

    var isString: Bool {
        if case .string = self { return true }
        return false
    }
}
