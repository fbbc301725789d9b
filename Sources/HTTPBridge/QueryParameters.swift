/// The parameters of a request target's query (`?key=k&timestamp=...`), percent-decoded, the
/// first value of each name winning (as Crossbar reads them: Twisted keeps a list per name and
/// Crossbar takes its first).
package struct QueryParameters: Sendable, Equatable {
    package private(set) var values: [String: String] = [:]

    /// At most this many parameters are looked at; a request target is already bounded by the
    /// HTTP parser, this only keeps the dictionary small.
    package static let maxParameters = 64

    package init(uri: String) {
        guard let mark = uri.firstIndex(of: "?") else { return }
        let query = uri[uri.index(after: mark)...]
        for (index, pair) in query.split(separator: "&", omittingEmptySubsequences: true).enumerated() {
            if index == Self.maxParameters { break }
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = Self.decode(parts[0]) else { continue }
            let value = parts.count == 2 ? Self.decode(parts[1]) : ""
            if values[name] == nil, let value { values[name] = value }
        }
    }

    package subscript(name: String) -> String? { values[name] }

    /// `application/x-www-form-urlencoded` decoding: `+` is a space, `%XX` a byte; nil when an
    /// escape is malformed or the bytes are not UTF-8.
    static func decode(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"):
                bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else { return nil }
                bytes.append(high << 4 | low)
            default:
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
