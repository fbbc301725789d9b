import Histogram

#if canImport(Glibc)
import Glibc
#endif

/// The result of one run: printed as a two-column table and, with `--json`, written as one JSON
/// object (keys in insertion order).
struct Report {
    enum Value {
        case int(Int)
        case double(Double)
        case string(String)
        case null

        var json: String {
            switch self {
            case .int(let v): return String(v)
            case .double(let v): return v.isFinite ? String(format3(v)) : "null"
            case .string(let s): return "\"" + escape(s) + "\""
            case .null: return "null"
            }
        }

        var text: String {
            switch self {
            case .int(let v): return String(v)
            case .double(let v): return format3(v)
            case .string(let s): return s
            case .null: return "n/a"
            }
        }
    }

    var rows: [(String, Value)] = []

    mutating func add(_ key: String, _ value: Int) { rows.append((key, .int(value))) }
    mutating func add(_ key: String, _ value: Double?) { rows.append((key, value.map { .double($0) } ?? .null)) }
    mutating func add(_ key: String, _ value: String) { rows.append((key, .string(value))) }

    func value(_ key: String) -> Value? { rows.first { $0.0 == key }?.1 }

    /// Sum of the failure counters (errors, timeouts, lost, gaps, duplicates).
    var failures: Int {
        var n = 0
        for (key, value) in rows where ["errors", "timeouts", "lost", "gaps", "duplicates"].contains(key) {
            if case .int(let v) = value { n += v }
        }
        return n
    }

    func printTable(title: String) {
        let width = rows.map(\.0.count).max() ?? 10
        print("== \(title)")
        for (key, value) in rows {
            print("  " + key + String(repeating: " ", count: width - key.count) + "  " + value.text)
        }
    }

    func writeJSON(to path: String) throws {
        let body = rows.map { "  \"\(escape($0.0))\": \($0.1.json)" }.joined(separator: ",\n")
        let text = "{\n" + body + "\n}\n"
        guard let file = fopen(path, "w") else { throw BenchError("cannot write \(path)") }
        fputs(text, file)
        fclose(file)
    }

    /// Latency percentiles in microseconds.
    mutating func addLatency(_ prefix: String, _ h: Histogram<UInt64>) {
        if h.totalCount == 0 {
            for p in ["p50", "p90", "p99", "max"] { add("\(prefix)_\(p)_us", nil as Double?) }
            return
        }
        add("\(prefix)_p50_us", Double(h.valueAtPercentile(50)) / 1000)
        add("\(prefix)_p90_us", Double(h.valueAtPercentile(90)) / 1000)
        add("\(prefix)_p99_us", Double(h.valueAtPercentile(99)) / 1000)
        add("\(prefix)_max_us", Double(h.max) / 1000)
    }

    /// CPU of both processes over the measured window, the work per router CPU-second and which
    /// side limited the run.
    mutating func addCPU(_ cpu: CPUWindow.Result, work: Int, generatorThreads: Int) {
        let cores = Double(ProcStats.processorCount)
        let gen = cpu.generatorCPU / cpu.seconds
        add("generator_cpu_cores", gen)
        let machine = cpu.machineCPU.map { $0 / cpu.seconds }
        if let routerCPU = cpu.routerCPU {
            let router = routerCPU / cpu.seconds
            add("router_cpu_cores", router)
            let others = machine.map { Swift.max(0, $0 - gen - router) }
            add("other_processes_cpu_cores", others)
            add("work_per_router_cpu_s", routerCPU > 0 ? Double(work) / routerCPU : nil)
            let verdict: String
            if let others, others >= 0.25, gen + router + others >= 0.9 * cores {
                verdict = "machine (\(format3(others)) cores taken by other processes; generator \(format3(gen)), router \(format3(router)) of \(Int(cores)))"
            } else if gen + router >= 0.9 * cores {
                verdict = gen > router
                    ? "generator (machine saturated: generator \(format3(gen)) + router \(format3(router)) of \(Int(cores)) cores; generator used more)"
                    : "router (machine saturated: router \(format3(router)) + generator \(format3(gen)) of \(Int(cores)) cores; router used more)"
            } else if gen >= 0.9 * Double(min(generatorThreads, Int(cores))) {
                verdict = "generator (\(format3(gen)) cores on \(generatorThreads) loops; router has headroom)"
            } else if router >= 0.9 && gen < 0.7 * router {
                verdict = "router (near one full core: \(format3(router)); a single-threaded router is saturated)"
            } else if gen >= 0.9 && router < 0.7 * gen {
                verdict = "generator (a generator loop near one full core while the router has headroom)"
            } else if router >= 0.9 * cores {
                verdict = "router"
            } else {
                verdict = "neither saturated (latency/window bound)"
            }
            add("bottleneck", verdict)
        } else {
            add("router_cpu_cores", nil as Double?)
            add("work_per_router_cpu_s", nil as Double?)
            add("bottleneck", gen >= 0.9 * Double(min(generatorThreads, Int(cores))) ? "generator (router CPU unknown: no --router-pid)" : "unknown (no --router-pid)")
        }
    }
}

func format3(_ v: Double) -> String {
    if v == v.rounded() && abs(v) < 1e15 { return String(Int64(v)) }
    let magnitude = abs(v)
    let decimals = magnitude >= 100 ? 1 : (magnitude >= 1 ? 2 : 3)
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let rounded = (v * scale).rounded() / scale
    var s = String(rounded)
    if s.hasSuffix(".0") { s.removeLast(2) }
    return s
}

private func escape(_ s: String) -> String {
    var out = ""
    for c in s.unicodeScalars {
        switch c {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        default:
            if c.value < 0x20 { out += "\\u00" + (c.value < 16 ? "0" : "") + String(c.value, radix: 16) } else { out.unicodeScalars.append(c) }
        }
    }
    return out
}
