/// Peer-controlled text (URIs, error messages, reasons) as it may appear in a log line: quoted,
/// control and non-ASCII characters escaped, cut to a bounded length. A peer can then neither
/// forge log lines (newlines, terminal escapes) nor make one log line arbitrarily long.
public enum LogText {
    public static let defaultLimit = 200

    public static func quoted(_ text: String, limit: Int = defaultLimit) -> String {
        var result = "\""
        var written = 0
        var cut = false
        for scalar in text.unicodeScalars {
            if written >= limit {
                cut = true
                break
            }
            written += 1
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case " "..."~": result.unicodeScalars.append(scalar)
            default:
                let hex = String(scalar.value, radix: 16)
                result += scalar.value <= 0xFFFF
                    ? "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                    : "\\U" + String(repeating: "0", count: 8 - hex.count) + hex
            }
        }
        result += "\""
        if cut { result += "…(\(text.utf8.count) bytes)" }
        return result
    }
}
