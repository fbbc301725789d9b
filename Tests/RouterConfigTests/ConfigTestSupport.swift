import Foundation
import XCTest
@testable import RouterConfig

/// A folder under the temporary directory with the placeholder files configs name (TLS key,
/// certificates); removed by `remove()`.
struct ScratchFolder {
    let path: String

    init() throws {
        path = (NSTemporaryDirectory() as NSString).appendingPathComponent("routerconfig-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: path + "/tls", withIntermediateDirectories: true)
        for name in ["tls/server.key", "tls/server.crt", "tls/ca.crt", "tls/chain.crt"] {
            FileManager.default.createFile(atPath: path + "/" + name, contents: Data("placeholder\n".utf8))
        }
    }

    func write(_ text: String, to name: String) throws -> String {
        let file = path + "/" + name
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// A whole config around the given realms and transports (JSON text).
func nodeConfig(realms: String = ConfigSamples.realms, transports: String = ConfigSamples.transports,
                topLevel: String = "", router: String = "") -> String {
    """
    {"version": 2, "controller": {}\(topLevel.isEmpty ? "" : ", \(topLevel)"),
     "workers": [{"type": "router"\(router.isEmpty ? "" : ", \(router)"), "realms": \(realms), "transports": \(transports)}]}
    """
}

enum ConfigSamples {
    static let realms = """
    [{"name": "realm1", "roles": [
        {"name": "anonymous", "permissions": [{"uri": "", "match": "prefix", "allow": {"call": true}}]},
        {"name": "user", "permissions": [{"uri": "com.example.", "match": "prefix", "allow": {"call": true}}]}]}]
    """
    static let transports = """
    [{"type": "websocket", "endpoint": {"type": "tcp", "port": 8080}}]
    """

    /// One websocket transport with the given `auth` dictionary.
    static func transport(auth: String) -> String {
        "[{\"type\": \"websocket\", \"endpoint\": {\"type\": \"tcp\", \"port\": 8080}, \"auth\": \(auth)}]"
    }

    /// One websocket transport with the given `options` dictionary.
    static func transport(options: String) -> String {
        "[{\"type\": \"websocket\", \"endpoint\": {\"type\": \"tcp\", \"port\": 8080}, \"options\": \(options)}]"
    }

    /// One realm `realm1` with one role `r` holding the given permission list.
    static func realm(permissions: String) -> String {
        "[{\"name\": \"realm1\", \"roles\": [{\"name\": \"r\", \"permissions\": \(permissions)}]}]"
    }
}

func parse(_ text: String, directory: String = "/nonexistent", environment: [String: String] = [:]) -> Result<RouterFile, ConfigProblems> {
    do {
        return .success(try RouterFile.parse(text, json: true, directory: directory, environment: environment))
    } catch {
        return .failure(error)
    }
}

/// The file, failing the test when it has problems.
func parsedFile(_ text: String, directory: String = "/nonexistent", environment: [String: String] = [:],
                file: StaticString = #filePath, line: UInt = #line) -> RouterFile? {
    switch parse(text, directory: directory, environment: environment) {
    case .success(let config): return config
    case .failure(let problems):
        XCTFail("unexpected problems:\n\(problems)", file: file, line: line)
        return nil
    }
}

/// The problems, failing the test when the file is accepted.
func problems(_ text: String, directory: String = "/nonexistent", environment: [String: String] = [:],
              file: StaticString = #filePath, line: UInt = #line) -> [ConfigProblem] {
    switch parse(text, directory: directory, environment: environment) {
    case .success:
        XCTFail("accepted, expected problems", file: file, line: line)
        return []
    case .failure(let problems): return problems.problems
    }
}

/// Asserts a problem at exactly `path` whose message contains `message`.
func assertProblem(_ text: String, path: String, message: String, directory: String = "/nonexistent",
                   environment: [String: String] = [:], file: StaticString = #filePath, line: UInt = #line) {
    let found = problems(text, directory: directory, environment: environment, file: file, line: line)
    XCTAssertTrue(found.contains { $0.path == path && $0.message.contains(message) },
                  "no problem at \(path) saying '\(message)'; got:\n\(found.map(\.description).joined(separator: "\n"))",
                  file: file, line: line)
}
