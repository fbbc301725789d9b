import Foundation
import Yams

/// A parsed config file as a plain tree, whichever syntax it came in, with the line each value
/// starts on (when known) so that problems can point into the file.
///
/// Maps keep the file's key order: roles and web paths are reported and listed in the order the
/// user wrote them.
struct ConfigNode {
    indirect enum Value {
        case null
        case bool(Bool)
        case int(Int)
        case double(Double)
        case string(String)
        case list([ConfigNode])
        case map([(key: String, value: ConfigNode)])
    }

    var value: Value
    var line: Int?

    /// The word used in "expected X, got Y" messages.
    var typeName: String {
        switch value {
        case .null: "null"
        case .bool: "a boolean"
        case .int: "an integer"
        case .double: "a non-integer number"
        case .string: "a string"
        case .list: "a list"
        case .map: "a dictionary"
        }
    }
}

/// How the text of a config file is turned into a `ConfigNode`.
enum ConfigSyntax {
    case json, yaml

    /// By extension as Crossbar does (`.json`, `.yaml`), plus `.yml`; nil: unknown, try both.
    init?(path: String) {
        switch (path as NSString).pathExtension.lowercased() {
        case "json": self = .json
        case "yaml", "yml": self = .yaml
        default: return nil
        }
    }

    /// JSON is checked with Foundation's JSON parser (so a `.json` file that is YAML but not JSON
    /// is refused), then read with the YAML parser, which keeps key order and knows lines. What
    /// that parser refuses although it is JSON (a tab before the first token, escaped surrogate
    /// pairs) is taken from Foundation's result, whose maps have no order: their keys are sorted
    /// so that problems come in a stable order.
    static func parse(_ text: String, as syntax: ConfigSyntax?) -> Result<ConfigNode, ConfigProblem> {
        switch syntax {
        case .yaml:
            return parseYAML(text)
        case .json:
            let json = parseJSON(text)
            guard case .success = json else { return json }
            if case .success(let ordered) = parseYAML(text) { return .success(ordered) }
            return json
        case nil:
            if case .success = parseJSON(text) { return parse(text, as: .json) }
            let yaml = parseYAML(text)
            if case .success = yaml { return yaml }
            return .failure(ConfigProblem(path: "", message: "neither JSON nor YAML: \(yaml.failureMessage)"))
        }
    }

    private static func parseYAML(_ text: String) -> Result<ConfigNode, ConfigProblem> {
        do {
            guard let node = try Yams.compose(yaml: text) else {
                return .failure(ConfigProblem(path: "", message: "the file is empty"))
            }
            return convert(node)
        } catch {
            return .failure(ConfigProblem(path: "", message: "not valid YAML: \(Self.oneLine("\(error)"))"))
        }
    }

    private static func parseJSON(_ text: String) -> Result<ConfigNode, ConfigProblem> {
        do {
            let object = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
            return .success(convert(json: object))
        } catch {
            return .failure(ConfigProblem(path: "", message: "not valid JSON: \(Self.oneLine(error.localizedDescription))"))
        }
    }

    private static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
    }

    private static func convert(_ node: Node) -> Result<ConfigNode, ConfigProblem> {
        let line = node.mark?.line
        switch node {
        case .scalar(let scalar):
            return .success(ConfigNode(value: scalarValue(scalar, tag: node.tag.rawValue), line: line))
        case .sequence(let sequence):
            var items: [ConfigNode] = []
            for item in sequence {
                switch convert(item) {
                case .success(let converted): items.append(converted)
                case .failure(let problem): return .failure(problem)
                }
            }
            return .success(ConfigNode(value: .list(items), line: line))
        case .mapping(let mapping):
            var entries: [(key: String, value: ConfigNode)] = []
            for (key, value) in mapping {
                guard case .scalar(let keyScalar) = key else {
                    return .failure(ConfigProblem(path: "", message: "a dictionary key must be a string", line: key.mark?.line))
                }
                switch convert(value) {
                case .success(let converted): entries.append((keyScalar.string, converted))
                case .failure(let problem): return .failure(problem)
                }
            }
            return .success(ConfigNode(value: .map(entries), line: line))
        case .alias:
            return .failure(ConfigProblem(path: "", message: "YAML aliases are not supported in config files", line: line))
        }
    }

    /// By the tag the YAML resolver gave the scalar: a quoted `"8080"` stays a string, as in JSON.
    private static func scalarValue(_ scalar: Node.Scalar, tag: String) -> ConfigNode.Value {
        switch Tag.Name(rawValue: tag) {
        case .null:
            return .null
        case .bool:
            return Bool.construct(from: scalar).map(ConfigNode.Value.bool) ?? .string(scalar.string)
        case .int:
            if let int = Int.construct(from: scalar) ?? Int(scalar.string) { return .int(int) }
            // Beyond Int: still a number to the reader, so "must be 1...65535" rather than "a string".
            return Double(scalar.string).map(ConfigNode.Value.double) ?? .string(scalar.string)
        case .float:
            return Double.construct(from: scalar).map(ConfigNode.Value.double) ?? .string(scalar.string)
        default:
            return .string(scalar.string)
        }
    }

    private static func isBoolean(_ number: NSNumber) -> Bool {
        #if canImport(Darwin)
        return CFGetTypeID(number) == CFBooleanGetTypeID()
        #else
        return number === NSNumber(value: true) || number === NSNumber(value: false) || String(cString: number.objCType) == "c"
        #endif
    }

    private static func convert(json: Any) -> ConfigNode {
        switch json {
        case let dictionary as [String: Any]:
            let entries = dictionary.keys.sorted().map { (key: $0, value: convert(json: dictionary[$0]!)) }
            return ConfigNode(value: .map(entries))
        case let array as [Any]:
            return ConfigNode(value: .list(array.map(convert(json:))))
        case let string as String:
            return ConfigNode(value: .string(string))
        case let number as NSNumber:
            if Self.isBoolean(number) { return ConfigNode(value: .bool(number.boolValue)) }
            if let int = Int(exactly: number), !"\(number)".contains(".") { return ConfigNode(value: .int(int)) }
            return ConfigNode(value: .double(number.doubleValue))
        default:
            return ConfigNode(value: .null)
        }
    }
}

private extension Result where Failure == ConfigProblem {
    var failureMessage: String {
        if case .failure(let problem) = self { return problem.message }
        return ""
    }
}
