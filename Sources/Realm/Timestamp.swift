#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import WampMessages

/// Wall-clock timestamps as ISO 8601 / RFC 3339 UTC strings with milliseconds
/// (`2026-11-25T09:40:00.123Z`), for subscription `created` and event history, without Foundation.
enum Timestamp {
    static func now() -> String {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return UTCTimestamp.format(millisecondsSince1970: Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec / 1_000_000))
    }
}
