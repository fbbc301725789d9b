import NIOCore
import NIOPosix

/// The compressors of connections that compress without context takeover, one per thread and
/// window size instead of one per connection.
///
/// Without context takeover the compressor is reset after every message, so it carries nothing
/// from one message to the next and any connection on the thread can use the same one. zlib's
/// deflate state at level 1 with a 15-bit window is about 256 KiB (window plus hash tables), so
/// this is what keeps thousands of compressing connections from costing gigabytes. Used only on
/// the calling thread, never across an await or a callback, so no lock.
final class PerMessageDeflateThreadCompressors {
    private static let perThread = ThreadSpecificVariable<PerMessageDeflateThreadCompressors>()
    /// Indexed by window bits (9...15).
    private var compressors: [PerMessageDeflateCompressor?] = Array(repeating: nil, count: 16)

    /// This thread's compressor for `windowBits`, made on first use.
    static func compressor(windowBits: Int) throws -> PerMessageDeflateCompressor {
        let compressors: PerMessageDeflateThreadCompressors
        if let existing = self.perThread.currentValue {
            compressors = existing
        } else {
            compressors = PerMessageDeflateThreadCompressors()
            self.perThread.currentValue = compressors
        }
        if let compressor = compressors.compressors[windowBits] { return compressor }
        let compressor = try PerMessageDeflateCompressor(windowBits: windowBits, noContextTakeover: true)
        compressors.compressors[windowBits] = compressor
        return compressor
    }

    /// Drops this thread's compressor for `windowBits` after a failure (its state is unknown);
    /// the next message makes a new one.
    static func discard(windowBits: Int) {
        self.perThread.currentValue?.compressors[windowBits] = nil
    }
}

// Only ever touched by the thread that owns the thread-specific value.
extension PerMessageDeflateThreadCompressors: @unchecked Sendable {}
