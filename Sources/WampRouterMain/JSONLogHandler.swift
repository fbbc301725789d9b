import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// `--log-format json`: one JSON object per line, for log collectors that parse rather than
/// grep. The fields are `time` (RFC 3339, UTC, microseconds), `level`, `label`, `message`,
/// `source` (the Swift module), then every metadata key swift-log carries (the handler's own,
/// the metadata provider's, the call's; the call's win), nested dictionaries and arrays as JSON
/// objects and arrays. A metadata key that would shadow one of those five fields is written as
/// `metadata.KEY`. The line is built whole and written with one call, so lines of different
/// threads never interleave.
///
/// What reaches it is already fit for a log: peer-controlled text arrives through
/// `LogText.quoted` (bounded, escaped) and no call site logs a secret, a ticket or a key; this
/// handler only makes sure that no value, whatever its characters, can break out of its line or
/// its JSON string.
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?
    /// Receives each finished line (with its newline).
    private let emit: @Sendable (String) -> Void

    init(label: String, metadataProvider: Logger.MetadataProvider? = nil, write: @escaping @Sendable (String) -> Void) {
        self.label = label
        self.metadataProvider = metadataProvider
        self.emit = write
    }

    static func standardError(label: String, metadataProvider: Logger.MetadataProvider? = LoggingSystem.metadataProvider) -> JSONLogHandler {
        JSONLogHandler(label: label, metadataProvider: metadataProvider) { line in
            var line = line
            line.withUTF8 { writeAll($0, to: STDERR_FILENO) }
        }
    }

    /// One write(2) for the line when the descriptor takes it whole (a pipe takes up to 4 KiB
    /// atomically; a file's offset is shared under a lock); the rest after a short write.
    private static func writeAll(_ bytes: UnsafeBufferPointer<UInt8>, to descriptor: Int32) {
        guard var next = bytes.baseAddress else { return }
        var remaining = bytes.count
        while remaining > 0 {
            let written = write(descriptor, next, remaining)
            if written < 0 {
                if errno == EINTR { continue }
                return  // nowhere to report a failing log
            }
            next += written
            remaining -= written
        }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    static let reservedKeys: Set<String> = ["time", "level", "label", "message", "source"]

    func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let explicit = event.metadata { merged.merge(explicit) { _, new in new } }
        if let error = event.error {
            merged["error.message"] = "\(error)"
            merged["error.type"] = "\(String(reflecting: type(of: error)))"
        }
        emit(Self.line(time: Self.rfc3339(Self.now()), level: event.level, label: label,
                        message: event.message.description, source: event.source, metadata: merged))
    }

    /// The whole line, newline included; metadata keys in sorted order (a stable line for the
    /// same event).
    static func line(time: String, level: Logger.Level, label: String, message: String, source: String,
                     metadata: Logger.Metadata) -> String {
        var out = "{\"time\":"
        appendString(time, to: &out)
        out += ",\"level\":"
        appendString(level.rawValue, to: &out)
        out += ",\"label\":"
        appendString(label, to: &out)
        out += ",\"message\":"
        appendString(message, to: &out)
        out += ",\"source\":"
        appendString(source, to: &out)
        for key in metadata.keys.sorted() {
            out += ","
            appendString(reservedKeys.contains(key) ? "metadata.\(key)" : key, to: &out)
            out += ":"
            appendValue(metadata[key]!, to: &out)
        }
        out += "}\n"
        return out
    }

    static func appendValue(_ value: Logger.Metadata.Value, to out: inout String) {
        switch value {
        case .string(let text):
            appendString(text, to: &out)
        case .stringConvertible(let convertible):
            appendString(convertible.description, to: &out)
        case .dictionary(let dictionary):
            out += "{"
            for (index, key) in dictionary.keys.sorted().enumerated() {
                if index > 0 { out += "," }
                appendString(key, to: &out)
                out += ":"
                appendValue(dictionary[key]!, to: &out)
            }
            out += "}"
        case .array(let values):
            out += "["
            for (index, element) in values.enumerated() {
                if index > 0 { out += "," }
                appendValue(element, to: &out)
            }
            out += "]"
        }
    }

    /// A JSON string. Control characters (and DEL) are escaped, so a value can never end its
    /// line; U+2028 and U+2029 too, which JavaScript-based tools take for line ends. Other
    /// non-ASCII characters stay as they are (UTF-8, valid JSON).
    static func appendString(_ text: String, to out: inout String) {
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case "\u{00}"..."\u{1F}", "\u{7F}", "\u{2028}", "\u{2029}":
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default:
                out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }

    /// Wall-clock time now: whole seconds and microseconds since the Unix epoch.
    static func now() -> (seconds: Int, microseconds: Int) {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return (Int(spec.tv_sec), Int(spec.tv_nsec) / 1000)
    }

    /// `2026-12-02T06:38:37.123456Z`: RFC 3339 in UTC, always six fractional digits.
    static func rfc3339(_ time: (seconds: Int, microseconds: Int)) -> String {
        var seconds = time_t(time.seconds)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func padded(_ value: Int32, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return padded(parts.tm_year + 1900, 4) + "-" + padded(parts.tm_mon + 1, 2) + "-" + padded(parts.tm_mday, 2)
            + "T" + padded(parts.tm_hour, 2) + ":" + padded(parts.tm_min, 2) + ":" + padded(parts.tm_sec, 2)
            + "." + padded(Int32(time.microseconds), 6) + "Z"
    }
}
