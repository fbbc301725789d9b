/// One thing wrong (or worth saying) about a config file, named by the path of its key.
public struct ConfigProblem: Error, Sendable, Hashable, CustomStringConvertible {
    /// Where in the file, in the file's own terms: `workers[0].realms[1].roles[0].permissions[2].uri`.
    public var path: String
    public var message: String
    /// Line in the file, when the parser knows it (it does for YAML and for most JSON files).
    public var line: Int?

    public init(path: String, message: String, line: Int? = nil) {
        self.path = path
        self.message = message
        self.line = line
    }

    /// `path: message`, the form `check-config` prints and logs use.
    public var description: String { path.isEmpty ? message : "\(path): \(message)" }

    /// `description` followed by the line, for people looking at the file.
    public var descriptionWithLine: String {
        guard let line else { return description }
        return "\(description) (line \(line))"
    }
}

/// Every problem found in one config file: the reader does not stop at the first, so that one
/// `check-config` run names all the mistakes.
public struct ConfigProblems: Error, Sendable, Hashable, CustomStringConvertible {
    public var problems: [ConfigProblem]

    public init(_ problems: [ConfigProblem]) {
        self.problems = problems
    }

    public var description: String { problems.map(\.description).joined(separator: "\n") }
}
