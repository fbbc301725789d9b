/// One extension offer/response from a `Sec-WebSocket-Extensions` header (RFC 6455 section 9.1):
/// `name; param; param=value; param="quoted"`.
///
/// The header may hold several comma separated extensions, and may appear several times; `parse`
/// returns them in order, which for a client offer is its preference order.
public struct WebSocketExtensionParameters: Sendable, Equatable {
    public struct Parameter: Sendable, Equatable {
        public var name: String
        /// `nil` for a parameter without value.
        public var value: String?
        public init(name: String, value: String?) {
            self.name = name
            self.value = value
        }
    }

    public var name: String
    public var parameters: [Parameter]

    public init(name: String, parameters: [Parameter] = []) {
        self.name = name
        self.parameters = parameters
    }

    public enum ParseError: Error, Equatable {
        case malformed(String)
    }

    /// Parses every value of the header (each value may contain several comma separated extensions).
    public static func parse(headerValues: [String]) throws(ParseError) -> [WebSocketExtensionParameters] {
        var result: [WebSocketExtensionParameters] = []
        for value in headerValues {
            result += try self.parse(headerValue: value)
        }
        return result
    }

    /// Parses one header value.
    public static func parse(headerValue: String) throws(ParseError) -> [WebSocketExtensionParameters] {
        var result: [WebSocketExtensionParameters] = []
        var scanner = Scanner(Array(headerValue.utf8))
        scanner.skipSpaces()
        if scanner.atEnd { return [] }
        while true {
            scanner.skipSpaces()
            guard let name = scanner.token() else { throw .malformed("expected extension name") }
            var ext = WebSocketExtensionParameters(name: name)
            scanner.skipSpaces()
            while scanner.consume(UInt8(ascii: ";")) {
                scanner.skipSpaces()
                guard let paramName = scanner.token() else { throw .malformed("expected parameter name in \(name)") }
                scanner.skipSpaces()
                var value: String? = nil
                if scanner.consume(UInt8(ascii: "=")) {
                    scanner.skipSpaces()
                    if let quoted = try scanner.quotedString() {
                        value = quoted
                    } else if let token = scanner.token() {
                        value = token
                    } else {
                        throw .malformed("expected value for \(paramName)")
                    }
                    scanner.skipSpaces()
                }
                ext.parameters.append(Parameter(name: paramName, value: value))
            }
            result.append(ext)
            if scanner.atEnd { return result }
            guard scanner.consume(UInt8(ascii: ",")) else { throw .malformed("unexpected character after \(name)") }
        }
    }

    /// Serialises as a header value (`name; a; b=1`).
    public var headerValue: String {
        var out = self.name
        for parameter in self.parameters {
            out += "; " + parameter.name
            if let value = parameter.value { out += "=" + value }
        }
        return out
    }

    private struct Scanner {
        let bytes: [UInt8]
        var index = 0
        init(_ bytes: [UInt8]) { self.bytes = bytes }
        var atEnd: Bool { self.index >= self.bytes.count }

        mutating func skipSpaces() {
            while self.index < self.bytes.count, self.bytes[self.index] == 0x20 || self.bytes[self.index] == 0x09 {
                self.index += 1
            }
        }

        mutating func consume(_ byte: UInt8) -> Bool {
            guard self.index < self.bytes.count, self.bytes[self.index] == byte else { return false }
            self.index += 1
            return true
        }

        /// RFC 7230 token characters.
        static func isTokenByte(_ b: UInt8) -> Bool {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"):
                return true
            default:
                return "!#$%&'*+-.^_`|~".utf8.contains(b)
            }
        }

        mutating func token() -> String? {
            let start = self.index
            while self.index < self.bytes.count, Self.isTokenByte(self.bytes[self.index]) { self.index += 1 }
            guard self.index > start else { return nil }
            return String(decoding: self.bytes[start..<self.index], as: UTF8.self)
        }

        mutating func quotedString() throws(ParseError) -> String? {
            guard self.consume(UInt8(ascii: "\"")) else { return nil }
            var out: [UInt8] = []
            while self.index < self.bytes.count {
                let b = self.bytes[self.index]
                self.index += 1
                if b == UInt8(ascii: "\"") { return String(decoding: out, as: UTF8.self) }
                if b == UInt8(ascii: "\\") {
                    guard self.index < self.bytes.count else { break }
                    out.append(self.bytes[self.index])
                    self.index += 1
                } else {
                    out.append(b)
                }
            }
            throw .malformed("unterminated quoted string")
        }
    }
}
