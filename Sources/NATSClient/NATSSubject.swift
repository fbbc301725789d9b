/// Subject rules of the client protocol, as pure functions.
///
/// Subjects are dot-separated tokens; a token is never empty and never holds white space (the
/// protocol splits arguments on it). `*` matches one token and `>` the rest; both only as whole
/// tokens, and `>` only last. Publish subjects may not hold wildcards at all.
public enum NATSSubject {
    /// Whether `subject` may be subscribed to (wildcards allowed as whole tokens, `>` last).
    public static func isValidSubscribeSubject(_ subject: String) -> Bool {
        validate(subject, wildcards: true)
    }

    /// Whether `subject` may be published to (no wildcards).
    public static func isValidPublishSubject(_ subject: String) -> Bool {
        validate(subject, wildcards: false)
    }

    /// A queue group name: one non-empty argument without white space.
    public static func isValidQueueGroup(_ group: String) -> Bool {
        !group.isEmpty && !group.utf8.contains(where: isSpace)
    }

    static func isSpace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r")
            || byte == UInt8(ascii: "\n") || byte == 0x0B || byte == 0x0C
    }

    private static func validate(_ subject: String, wildcards: Bool) -> Bool {
        let bytes = Array(subject.utf8)
        if bytes.isEmpty { return false }
        var tokenStart = 0
        var index = 0
        var sawFullWildcard = false
        while index <= bytes.count {
            if index == bytes.count || bytes[index] == UInt8(ascii: ".") {
                let token = bytes[tokenStart..<index]
                if token.isEmpty || sawFullWildcard { return false }
                if token.count == 1, token.first == UInt8(ascii: "*") || token.first == UInt8(ascii: ">") {
                    if !wildcards { return false }
                    sawFullWildcard = token.first == UInt8(ascii: ">")
                } else if token.contains(UInt8(ascii: "*")) || token.contains(UInt8(ascii: ">")) {
                    // A wildcard character inside a longer token: the server would treat it as a
                    // literal, which is never what a caller of this client means.
                    return false
                }
                tokenStart = index + 1
            } else if isSpace(bytes[index]) || bytes[index] == 0 {
                return false
            }
            index += 1
        }
        return true
    }
}
