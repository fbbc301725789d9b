/// A small reader of the Prometheus text exposition format (0.0.4), strict enough to fail on
/// what a Prometheus server would reject: every sample belongs to a family with one TYPE line
/// before it, names and label names are valid, label values are quoted with escapes, values
/// are numbers.
struct PrometheusText {
    struct Sample: Equatable {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    struct Family {
        var type: String
        var help: String?
        var samples: [Sample] = []
    }

    struct Problem: Error, CustomStringConvertible {
        let line: Int
        let why: String
        var description: String { "line \(line): \(why)" }
    }

    private(set) var families: [String: Family] = [:]

    init(_ text: String) throws {
        var helps: [String: String] = [:]
        var lastFamily: String?
        var closedFamilies: Set<String> = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = String(line)
            if line.isEmpty { continue }
            if line.hasPrefix("# HELP ") {
                let rest = line.dropFirst(7)
                guard let space = rest.firstIndex(of: " ") else { throw Problem(line: number, why: "HELP without text") }
                let name = String(rest[..<space])
                guard Self.isMetricName(name) else { throw Problem(line: number, why: "bad name \(name)") }
                guard helps[name] == nil else { throw Problem(line: number, why: "second HELP for \(name)") }
                helps[name] = String(rest[rest.index(after: space)...])
                continue
            }
            if line.hasPrefix("# TYPE ") {
                let parts = line.dropFirst(7).split(separator: " ")
                guard parts.count == 2 else { throw Problem(line: number, why: "TYPE needs a name and a type") }
                let name = String(parts[0])
                guard ["counter", "gauge", "histogram", "summary", "untyped"].contains(parts[1]) else {
                    throw Problem(line: number, why: "unknown type \(parts[1])")
                }
                guard families[name] == nil else { throw Problem(line: number, why: "second TYPE for \(name)") }
                if let lastFamily, lastFamily != name { closedFamilies.insert(lastFamily) }
                families[name] = Family(type: String(parts[1]), help: helps[name])
                lastFamily = name
                continue
            }
            if line.hasPrefix("#") { continue }
            let sample = try Self.sample(line, number: number)
            guard let family = Self.family(of: sample.name, in: families) else {
                throw Problem(line: number, why: "sample \(sample.name) has no TYPE line before it")
            }
            guard !closedFamilies.contains(family) else { throw Problem(line: number, why: "family \(family) is not contiguous") }
            families[family]!.samples.append(sample)
            families[family]!.help = families[family]!.help ?? helps[family]
        }
    }

    func family(_ name: String) -> Family? { families[name] }

    /// The value of the one sample named `name` with exactly `labels`.
    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        guard let family = Self.family(of: name, in: families) else { return nil }
        return families[family]!.samples.first { $0.name == name && $0.labels == labels }?.value
    }

    private static func family(of sample: String, in families: [String: Family]) -> String? {
        if families[sample] != nil { return sample }
        for suffix in ["_bucket", "_sum", "_count"] where sample.hasSuffix(suffix) {
            let base = String(sample.dropLast(suffix.count))
            if families[base]?.type == "histogram" { return base }
        }
        return nil
    }

    /// `[a-zA-Z_:][a-zA-Z0-9_:]*`.
    static func isMetricName(_ name: String) -> Bool {
        func isLetter(_ byte: UInt8) -> Bool { (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || byte == 0x5F || byte == 0x3A }
        let bytes = Array(name.utf8)
        guard let first = bytes.first, isLetter(first) else { return false }
        return bytes.allSatisfy { isLetter($0) || (0x30...0x39).contains($0) }
    }

    private static func sample(_ line: String, number: Int) throws -> Sample {
        var chars = Array(line)
        var index = 0
        var name = ""
        while index < chars.count, chars[index] != "{", chars[index] != " " { name.append(chars[index]); index += 1 }
        guard isMetricName(name) else { throw Problem(line: number, why: "bad sample name '\(name)'") }
        var labels: [String: String] = [:]
        if index < chars.count, chars[index] == "{" {
            index += 1
            while index < chars.count, chars[index] != "}" {
                var labelName = ""
                while index < chars.count, chars[index] != "=" { labelName.append(chars[index]); index += 1 }
                guard isMetricName(labelName), !labelName.contains(":") else { throw Problem(line: number, why: "bad label name '\(labelName)'") }
                guard index + 1 < chars.count, chars[index + 1] == "\"" else { throw Problem(line: number, why: "unquoted label value") }
                index += 2
                var value = ""
                while index < chars.count, chars[index] != "\"" {
                    if chars[index] == "\\" {
                        index += 1
                        guard index < chars.count else { break }
                        switch chars[index] {
                        case "n": value.append("\n")
                        case "\\": value.append("\\")
                        case "\"": value.append("\"")
                        default: throw Problem(line: number, why: "bad escape")
                        }
                    } else {
                        value.append(chars[index])
                    }
                    index += 1
                }
                guard index < chars.count else { throw Problem(line: number, why: "unterminated label value") }
                index += 1
                guard labels[labelName] == nil else { throw Problem(line: number, why: "label \(labelName) twice") }
                labels[labelName] = value
                if index < chars.count, chars[index] == "," { index += 1 }
            }
            guard index < chars.count else { throw Problem(line: number, why: "unterminated labels") }
            index += 1
        }
        guard index < chars.count, chars[index] == " " else { throw Problem(line: number, why: "no value") }
        chars.removeFirst(index + 1)
        let fields = String(chars).split(separator: " ")
        guard (1...2).contains(fields.count) else { throw Problem(line: number, why: "value and at most a timestamp") }
        let text = String(fields[0])
        let value: Double? = switch text {
        case "+Inf": .infinity
        case "-Inf": -.infinity
        case "NaN": .nan
        default: Double(text)
        }
        guard let value else { throw Problem(line: number, why: "value '\(text)' is not a number") }
        return Sample(name: name, labels: labels, value: value)
    }
}
