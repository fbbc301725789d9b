import ArgumentParser
import Foundation
import RouterConfig

/// `wamp-router check-config FILE`: reads a Crossbar.io config as the router would and says
/// what is wrong, each problem as `path.to.key: what is wrong`, so a user can fix a whole file
/// in one go before starting (or reloading) the router with it.
struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Check a Crossbar.io config file (JSON or YAML) and name every problem by its path."
    )

    @Argument(help: "The config file (.json, .yaml or .yml).")
    var file: String

    func run() throws {
        do {
            let config = try RouterFile.load(path: file)
            for notice in config.notices {
                print("note: \(notice.descriptionWithLine)")
            }
            print("\(file): ok (\(config.realms.count) realms, \(config.transports.count) transports)")
        } catch {
            for problem in error.problems {
                Self.printToStandardError(problem.descriptionWithLine)
            }
            throw ExitCode(1)
        }
    }

    private static func printToStandardError(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
