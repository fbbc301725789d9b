/// URI rules of the WAMP spec ("URIs", "Relaxed/Loose URIs" and "Strict URIs").
///
/// Loose: components are non-empty and contain no whitespace, `.` or `#`. Strict: components use
/// only `[0-9a-z_]`. Empty components are allowed only where a pattern (`wildcard` match) may
/// have them, and a `prefix` pattern may be any non-empty run of components.
public struct URIValidator: Sendable {
    public enum Rules: String, Sendable { case loose, strict }

    public var rules: Rules

    public init(rules: Rules = .loose) { self.rules = rules }

    /// A concrete URI: every component non-empty.
    public func isValid(_ uri: String) -> Bool {
        check(uri, allowEmptyComponents: false)
    }

    /// A `wildcard` pattern: empty components stand for "any".
    public func isValidWildcard(_ uri: String) -> Bool {
        check(uri, allowEmptyComponents: true)
    }

    private func check(_ uri: String, allowEmptyComponents: Bool) -> Bool {
        let bytes = uri.utf8
        guard !bytes.isEmpty else { return false }
        var componentLength = 0
        for byte in bytes {
            if byte == UInt8(ascii: ".") {
                if componentLength == 0 && !allowEmptyComponents { return false }
                componentLength = 0
                continue
            }
            guard isAllowed(byte) else { return false }
            componentLength += 1
        }
        return componentLength > 0 || allowEmptyComponents
    }

    private func isAllowed(_ byte: UInt8) -> Bool {
        switch rules {
        case .loose:
            switch byte {
            case UInt8(ascii: "#"), UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"),
                 UInt8(ascii: "\r"), 0x0B, 0x0C:
                return false
            default:
                return true
            }
        case .strict:
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "_"):
                return true
            default:
                return false
            }
        }
    }
}
