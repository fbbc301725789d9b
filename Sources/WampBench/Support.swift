import Dispatch
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// Monotonic nanoseconds; comparable across the event loops of this process.
@inline(__always)
func nowNanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

// MARK: - Writing JSON text by hand

extension ByteBuffer {
    /// Appends the decimal digits of `value` without making a String.
    @inline(__always)
    mutating func writeDecimal(_ value: UInt64) {
        var digits = 1
        var probe = value
        while probe >= 10 { probe /= 10; digits += 1 }
        let start = self.writerIndex
        self.writeRepeatingByte(UInt8(ascii: "0"), count: digits)
        var rest = value
        var index = start + digits - 1
        while index >= start {
            self.setInteger(UInt8(ascii: "0") &+ UInt8(rest % 10), at: index)
            rest /= 10
            index -= 1
        }
    }
}

// MARK: - Reading JSON text by hand

/// A forward-only reader over the bytes of one WAMP message, enough to pick out the integers the
/// benchmark needs without building any value.
struct JSONScanner {
    let bytes: UnsafeRawBufferPointer
    var index = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var atEnd: Bool { index >= bytes.count }

    @inline(__always)
    mutating func skipSpace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    @inline(__always)
    mutating func expect(_ byte: UInt8) -> Bool {
        skipSpace()
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    /// A non-negative integer (IDs, sequence numbers, timestamps).
    mutating func readUInt() -> UInt64? {
        skipSpace()
        var value: UInt64 = 0
        let start = index
        while index < bytes.count {
            let b = bytes[index]
            guard b >= 0x30, b <= 0x39 else { break }
            value = value &* 10 &+ UInt64(b - 0x30)
            index += 1
        }
        return index > start ? value : nil
    }

    /// Skips one JSON value of any kind (strings with escapes, nested containers).
    mutating func skipValue() -> Bool {
        skipSpace()
        guard index < bytes.count else { return false }
        var depth = 0
        repeat {
            guard index < bytes.count else { return false }
            let b = bytes[index]
            switch b {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1; index += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1; index += 1
                if depth < 0 { return false }
            case UInt8(ascii: "\""):
                index += 1
                while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
                    index += bytes[index] == UInt8(ascii: "\\") ? 2 : 1
                }
                index += 1
            default:
                if depth == 0 {
                    // number or literal: up to the next delimiter
                    while index < bytes.count {
                        let c = bytes[index]
                        if c == UInt8(ascii: ",") || c == UInt8(ascii: "]") || c == UInt8(ascii: "}") || c == 0x20 { break }
                        index += 1
                    }
                    return true
                }
                index += 1
            }
        } while depth > 0
        return true
    }

    /// Index of the final `]` of the message, skipping trailing space.
    func lastBracket() -> Int? {
        var end = bytes.count - 1
        while end >= 0 {
            switch bytes[end] {
            case 0x20, 0x09, 0x0A, 0x0D: end -= 1
            case UInt8(ascii: "]"): return end
            default: return nil
            }
        }
        return nil
    }
}

// MARK: - /proc

enum ProcStats {
    static let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))

    /// utime + stime of a process, in seconds.
    static func cpuSeconds(pid: Int32?) -> Double? {
        let path = pid.map { "/proc/\($0)/stat" } ?? "/proc/self/stat"
        guard let text = readFile(path), let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // fields[0] is the state (field 3); utime is field 14, stime field 15.
        guard fields.count > 12, let utime = Double(fields[11]), let stime = Double(fields[12]) else { return nil }
        return (utime + stime) / ticksPerSecond
    }

    /// VmRSS in bytes.
    static func rssBytes(pid: Int32?) -> Int? {
        let path = pid.map { "/proc/\($0)/status" } ?? "/proc/self/status"
        guard let text = readFile(path) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            if parts.count >= 2, let kb = Int(parts[1]) { return kb * 1024 }
        }
        return nil
    }

    static func readFile(_ path: String) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var result = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = fread(&chunk, 1, chunk.count, file)
            if n <= 0 { break }
            result.append(contentsOf: chunk[0..<n])
        }
        return String(decoding: result, as: UTF8.self)
    }

    /// Busy CPU seconds of the whole machine (all cores) from /proc/stat.
    static func machineBusySeconds() -> Double? {
        guard let text = readFile("/proc/stat"), let line = text.split(separator: "\n").first, line.hasPrefix("cpu ") else { return nil }
        let values = line.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard values.count >= 5 else { return nil }
        // user nice system idle iowait irq softirq steal ...: busy = all but idle and iowait
        let total = values.prefix(8).reduce(0, +)
        return (total - values[3] - values[4]) / ticksPerSecond
    }

    static var processorCount: Int { Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) }

    /// Raises the soft open-file limit to the hard limit.
    static func raiseFileLimit() -> Int {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        if limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max
            setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
            getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
        return Int(limit.rlim_cur)
    }
}

/// CPU of the generator and (optionally) the router between two instants.
/// CPU seconds over the measured window: the generator's, the router's (summed over every process
/// of it: the nodes of a cluster and their NATS server count as one router) and the machine's.
struct CPUWindow {
    let start: UInt64
    let generatorStart: Double
    let routerStart: Double?
    let routerPids: [Int32]
    let machineStart: Double?

    init(routerPids: [Int32]) {
        self.machineStart = ProcStats.machineBusySeconds()
        self.routerPids = routerPids
        self.start = nowNanos()
        self.generatorStart = ProcStats.cpuSeconds(pid: nil) ?? 0
        self.routerStart = Self.routerSeconds(routerPids)
    }

    struct Result {
        var seconds: Double
        var generatorCPU: Double      // seconds of CPU
        var routerCPU: Double?
        var machineCPU: Double?
    }

    func finish() -> Result {
        let seconds = Double(nowNanos() - start) / 1e9
        let gen = (ProcStats.cpuSeconds(pid: nil) ?? 0) - generatorStart
        var router: Double?
        if let routerStart, let now = Self.routerSeconds(routerPids) { router = now - routerStart }
        var machine: Double?
        if let machineStart, let now = ProcStats.machineBusySeconds() { machine = now - machineStart }
        return Result(seconds: seconds, generatorCPU: gen, routerCPU: router, machineCPU: machine)
    }

    /// nil without PIDs or when one of them cannot be read (a process that exited would make the
    /// sum meaningless).
    private static func routerSeconds(_ pids: [Int32]) -> Double? {
        guard !pids.isEmpty else { return nil }
        var total = 0.0
        for pid in pids {
            guard let seconds = ProcStats.cpuSeconds(pid: pid) else { return nil }
            total += seconds
        }
        return total
    }
}

// MARK: - URL

struct WebSocketURL {
    var host: String
    var port: Int
    var path: String

    /// `schemes`: what the URL may start with (`ws://` for WebSocket, `tcp://` or `rs://` for RawSocket).
    init(_ text: String, schemes: [String] = ["ws://"]) throws {
        guard let scheme = schemes.first(where: { text.hasPrefix($0) }) else {
            throw BenchError("only \(schemes.joined(separator: " or ")) URLs are supported here: \(text)")
        }
        let rest = text.dropFirst(scheme.count)
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<slash]
        self.path = slash == rest.endIndex ? "/" : String(rest[slash...])
        if let colon = authority.lastIndex(of: ":"), let port = Int(authority[authority.index(after: colon)...]) {
            self.host = String(authority[..<colon])
            self.port = port
        } else {
            self.host = String(authority)
            self.port = 80
        }
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard ["127.0.0.1", "localhost", "::1"].contains(host) || host.hasPrefix("127.") else {
            throw BenchError("wamp-bench only targets loopback addresses, not \(host)")
        }
    }
}

/// Ends the process if it is still running at `seconds` from now, whatever it is doing.
func armHardDeadline(seconds: Double) {
    DispatchQueue.global().asyncAfter(deadline: .now() + seconds) {
        print("wamp-bench: error: hard deadline of \(Int(seconds)) s reached, exiting")
        fflush(nil)
        exit(3)
    }
}
