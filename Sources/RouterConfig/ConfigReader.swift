/// Collects the problems (and notices) of one file while it is read, so that reading goes on
/// after a mistake and one run names all of them.
final class ProblemLog {
    private(set) var problems: [ConfigProblem] = []
    private(set) var notices: [ConfigProblem] = []

    func problem(_ path: ConfigPath, _ message: String, line: Int? = nil) {
        problems.append(ConfigProblem(path: path.description, message: message, line: line))
    }

    func problem(rawPath: String, _ message: String) {
        problems.append(ConfigProblem(path: rawPath, message: message))
    }

    func notice(_ path: ConfigPath, _ message: String, line: Int? = nil) {
        notices.append(ConfigProblem(path: path.description, message: message, line: line))
    }
}

/// Reads one dictionary of the file: typed look-ups that report a wrong type or a missing key
/// by path, and `finish` that reports every key nobody asked for, so no key is ever ignored.
struct MapReader {
    let path: ConfigPath
    let line: Int?
    let log: ProblemLog
    private let entries: [(key: String, value: ConfigNode)]
    private var read: Set<String> = []

    /// nil (and a problem) when `node` is not a dictionary.
    init?(_ node: ConfigNode, at path: ConfigPath, log: ProblemLog) {
        guard case .map(let entries) = node.value else {
            log.problem(path, "expected a dictionary, got \(node.typeName)", line: node.line)
            return nil
        }
        self.path = path
        self.line = node.line
        self.log = log
        self.entries = entries
    }

    var keys: [String] { entries.map(\.key) }

    /// The line of `key`'s value (or of this dictionary when the key is absent).
    func lineOf(_ key: String) -> Int? {
        entries.first { $0.key == key }?.value.line ?? line
    }

    func has(_ key: String) -> Bool { entries.contains { $0.key == key } }

    /// The raw value; marks the key as read.
    mutating func node(_ key: String) -> ConfigNode? {
        read.insert(key)
        return entries.first { $0.key == key }?.value
    }

    mutating func required(_ key: String, what: String? = nil) -> ConfigNode? {
        guard let value = node(key) else {
            log.problem(path.key(key), "missing\(what.map { ": \($0)" } ?? "")", line: line)
            return nil
        }
        return value
    }

    mutating func string(_ key: String, required: Bool = false) -> String? {
        guard let value = required ? self.required(key) : node(key) else { return nil }
        guard case .string(let string) = value.value else {
            log.problem(path.key(key), "expected a string, got \(value.typeName)", line: value.line)
            return nil
        }
        return string
    }

    mutating func bool(_ key: String) -> Bool? {
        guard let value = node(key) else { return nil }
        guard case .bool(let bool) = value.value else {
            log.problem(path.key(key), "expected true or false, got \(value.typeName)", line: value.line)
            return nil
        }
        return bool
    }

    mutating func int(_ key: String, required: Bool = false, in range: ClosedRange<Int>? = nil, unit: String = "") -> Int? {
        guard let value = required ? self.required(key) : node(key) else { return nil }
        return Self.int(value, at: path.key(key), in: range, unit: unit, log: log)
    }

    static func int(_ value: ConfigNode, at path: ConfigPath, in range: ClosedRange<Int>?, unit: String = "", log: ProblemLog) -> Int? {
        guard case .int(let int) = value.value else {
            log.problem(path, "expected an integer\(unit.isEmpty ? "" : " (\(unit))"), got \(value.typeName)", line: value.line)
            return nil
        }
        if let range, !range.contains(int) {
            log.problem(path, "must be \(range.lowerBound)...\(range.upperBound)\(unit.isEmpty ? "" : " \(unit)"), got \(int)", line: value.line)
            return nil
        }
        return int
    }

    mutating func map(_ key: String, required: Bool = false) -> MapReader? {
        guard let value = required ? self.required(key) : node(key) else { return nil }
        return MapReader(value, at: path.key(key), log: log)
    }

    mutating func list(_ key: String, required: Bool = false) -> [ConfigNode]? {
        guard let value = required ? self.required(key) : node(key) else { return nil }
        guard case .list(let items) = value.value else {
            log.problem(path.key(key), "expected a list, got \(value.typeName)", line: value.line)
            return nil
        }
        return items
    }

    mutating func stringList(_ key: String) -> [String]? {
        guard let items = list(key) else { return nil }
        var strings: [String] = []
        for (index, item) in items.enumerated() {
            guard case .string(let string) = item.value else {
                log.problem(path.key(key).index(index), "expected a string, got \(item.typeName)", line: item.line)
                continue
            }
            strings.append(string)
        }
        return strings.count == items.count ? strings : nil
    }

    /// Reports each key not read: Crossbar's keys this router does not implement get
    /// `unsupported`'s reason, anything else is unknown.
    func finish(unsupported: [String: String] = [:]) {
        for (key, value) in entries where !read.contains(key) {
            if let reason = unsupported[key] {
                log.problem(path.key(key), "not supported by this router\(reason.isEmpty ? "" : ": \(reason)")", line: value.line)
            } else {
                log.problem(path.key(key), "unknown key", line: value.line)
            }
        }
    }

    /// Marks a key as read without looking at it (labels such as `id`, `$schema`).
    mutating func accept(_ key: String) {
        read.insert(key)
    }
}

/// Reads a list item by item with the path of each.
func forEachItem(_ items: [ConfigNode], at path: ConfigPath, _ body: (ConfigNode, ConfigPath, Int) -> Void) {
    for (index, item) in items.enumerated() {
        body(item, path.index(index), index)
    }
}
