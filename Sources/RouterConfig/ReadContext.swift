import Foundation

/// What a read needs besides the text: the folder relative paths resolve against, the
/// environment `${VAR}` values come from, and the problem log.
struct ReadContext {
    let directory: String
    let environment: [String: String]
    let log: ProblemLog

    /// Absolute path of a file named in the config, resolved against the config's folder as
    /// Crossbar resolves against its node directory; a problem when it is missing or unreadable.
    func existingFile(_ name: String, at path: ConfigPath, line: Int?) -> String? {
        guard !name.isEmpty else {
            log.problem(path, "expected a file name, got an empty string", line: line)
            return nil
        }
        let absolute = name.hasPrefix("/") ? name : (directory as NSString).appendingPathComponent(name)
        let standardized = (absolute as NSString).standardizingPath
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: standardized, isDirectory: &isDirectory) else {
            log.problem(path, "no such file: \(standardized)", line: line)
            return nil
        }
        guard !isDirectory.boolValue else {
            log.problem(path, "is a directory, not a file: \(standardized)", line: line)
            return nil
        }
        guard FileManager.default.isReadableFile(atPath: standardized) else {
            log.problem(path, "file not readable: \(standardized)", line: line)
            return nil
        }
        return standardized
    }

    /// Crossbar's `${NAME}` form for secrets (tickets, wampcra secrets): the value of that
    /// environment variable; a problem (never the value) when it is not set.
    func secret(_ value: String, at path: ConfigPath, line: Int?) -> String? {
        guard value.hasPrefix("${"), value.hasSuffix("}"), value.count > 3 else { return value }
        let name = String(value.dropFirst(2).dropLast())
        guard let resolved = environment[name] else {
            log.problem(path, "environment variable \(name) is not set", line: line)
            return nil
        }
        return resolved
    }
}
