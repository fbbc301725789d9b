import ArgumentParser
import Logging

/// `--log-format`: `text` (swift-log's stream handler, for people) or `json` (one object per
/// line, for collectors).
enum LogFormat: String, CaseIterable, ExpressibleByArgument {
    case text
    case json

    /// The handler factory `LoggingSystem.bootstrap` takes: every logger on standard error.
    func makeHandler(level: Logger.Level) -> @Sendable (String) -> any LogHandler {
        switch self {
        case .text:
            return { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
        case .json:
            return { label in
                var handler = JSONLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
        }
    }
}
