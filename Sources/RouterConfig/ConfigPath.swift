import Foundation

/// The path of a key in the file, written the way a user finds it again:
/// `workers[0].transports[1].paths.ws.auth.ticket`, and `paths["/"]` for keys that are not
/// plain words (web paths, e-mail-like authids).
struct ConfigPath: Hashable, CustomStringConvertible {
    private(set) var text: String

    static let root = ConfigPath(text: "")

    private init(text: String) {
        self.text = text
    }

    func key(_ key: String) -> ConfigPath {
        if Self.isPlainWord(key) {
            return ConfigPath(text: text.isEmpty ? key : "\(text).\(key)")
        }
        let escaped = key.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return ConfigPath(text: "\(text)[\"\(escaped)\"]")
    }

    func index(_ index: Int) -> ConfigPath {
        ConfigPath(text: "\(text)[\(index)]")
    }

    var description: String { text }

    private static func isPlainWord(_ key: String) -> Bool {
        guard let first = key.unicodeScalars.first, first == "$" || first == "_" || first.isASCIILetter else {
            return false
        }
        return key.unicodeScalars.allSatisfy { $0.isASCIILetter || ("0"..."9").contains($0) || $0 == "_" || $0 == "-" || $0 == "$" }
    }
}

extension Unicode.Scalar {
    var isASCIILetter: Bool { ("a"..."z").contains(self) || ("A"..."Z").contains(self) }
}
