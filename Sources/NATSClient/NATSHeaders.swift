import NIOCore

/// The headers block of HPUB/HMSG: `NATS/1.0[ status[ description]]\r\n`, then `Key: value`
/// lines, then an empty line.
///
/// Keys keep their order and case and may repeat (a key can carry several values); lookups ignore
/// ASCII case, as servers and other clients are not consistent about it. A status (such as 503
/// "no responders", 408 request timeout, 409 conflict, 100 JetStream heartbeat or flow control)
/// only ever arrives from the server; the encoder writes one when set, for tests and replies.
public struct NATSHeaders: Equatable, Sendable {
    public var status: Int?
    public var statusDescription: String?
    public private(set) var fields: [(name: String, value: String)]

    public init(_ fields: [(name: String, value: String)] = [], status: Int? = nil, statusDescription: String? = nil) {
        self.fields = fields
        self.status = status
        self.statusDescription = statusDescription
    }

    public var isEmpty: Bool { fields.isEmpty && status == nil }

    /// The first value of `name`, or nil.
    public subscript(name: String) -> String? {
        fields.first(where: { Self.sameKey($0.name, name) })?.value
    }

    /// Every value of `name`, in order.
    public func values(_ name: String) -> [String] {
        fields.filter { Self.sameKey($0.name, name) }.map(\.value)
    }

    /// Adds a value, keeping any earlier ones of the same key.
    public mutating func add(_ name: String, _ value: String) {
        fields.append((name, value))
    }

    /// Replaces all values of `name` by one.
    public mutating func set(_ name: String, _ value: String) {
        fields.removeAll { Self.sameKey($0.name, name) }
        fields.append((name, value))
    }

    public static func == (lhs: NATSHeaders, rhs: NATSHeaders) -> Bool {
        lhs.status == rhs.status && lhs.statusDescription == rhs.statusDescription
            && lhs.fields.count == rhs.fields.count
            && zip(lhs.fields, rhs.fields).allSatisfy { $0.name == $1.name && $0.value == $1.value }
    }

    private static func sameKey(_ a: String, _ b: String) -> Bool {
        a.utf8.count == b.utf8.count && a.lowercased() == b.lowercased()
    }

    static let version = "NATS/1.0"

    // MARK: Encoding

    /// Writes the block (ending in the empty line) and returns its length in bytes. Throws
    /// `invalidHeader` for a key that is empty or holds ':', white space or control characters, or
    /// a value with CR or LF: either would let a caller forge further headers or end the block.
    @discardableResult
    public func encode(into buffer: inout ByteBuffer) throws -> Int {
        for field in fields {
            guard !field.name.isEmpty,
                field.name.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ":") })
            else { throw NATSError.invalidHeader("key \(field.name.debugDescription)") }
            guard !field.value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A }) else {
                throw NATSError.invalidHeader("value of \(field.name) holds CR or LF")
            }
        }
        if let description = statusDescription,
            description.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A })
        {
            throw NATSError.invalidHeader("status description holds CR or LF")
        }
        let start = buffer.writerIndex
        buffer.writeString(Self.version)
        if let status {
            guard (0...999).contains(status) else { throw NATSError.invalidHeader("status \(status)") }
            buffer.writeString(" \(status)")
            if let statusDescription, !statusDescription.isEmpty { buffer.writeString(" \(statusDescription)") }
        }
        buffer.writeString("\r\n")
        for field in fields {
            buffer.writeString(field.name)
            buffer.writeString(": ")
            buffer.writeString(field.value)
            buffer.writeString("\r\n")
        }
        buffer.writeString("\r\n")
        return buffer.writerIndex - start
    }

    // MARK: Parsing

    /// Parses exactly one block: all of `bytes` (as HMSG's header length delimits it).
    public static func parse(_ bytes: ByteBuffer) throws -> NATSHeaders {
        var lines = try splitLines(bytes)
        // The block ends in CRLF CRLF: the last two "lines" are the empty one and what follows.
        guard lines.count >= 2, lines.removeLast().isEmpty, lines.removeLast().isEmpty else {
            throw NATSError.malformedHeaders("the block does not end in an empty line")
        }
        guard let first = lines.first else { throw NATSError.malformedHeaders("empty") }
        var headers = NATSHeaders()
        try parseVersionLine(first, into: &headers)
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex else {
                throw NATSError.malformedHeaders("a line without 'Key:'")
            }
            let name = String(decoding: line[line.startIndex..<colon], as: UTF8.self)
            guard !name.utf8.contains(where: NATSSubject.isSpace) else {
                throw NATSError.malformedHeaders("white space in key \(name.debugDescription)")
            }
            var valueStart = line.index(after: colon)
            while valueStart < line.endIndex, line[valueStart] == UInt8(ascii: " ") || line[valueStart] == UInt8(ascii: "\t") {
                valueStart += 1
            }
            headers.add(name, String(decoding: line[valueStart...], as: UTF8.self))
        }
        return headers
    }

    private static func parseVersionLine(_ line: ArraySlice<UInt8>, into headers: inout NATSHeaders) throws {
        let prefix = Array(version.utf8)
        guard line.starts(with: prefix) else { throw NATSError.malformedHeaders("no NATS/1.0 version line") }
        var rest = line.dropFirst(prefix.count)
        guard !rest.isEmpty else { return }
        guard rest.first == UInt8(ascii: " ") else { throw NATSError.malformedHeaders("bad version line") }
        rest = rest.drop(while: { $0 == UInt8(ascii: " ") })
        let digits = rest.prefix(while: { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
        guard !digits.isEmpty || rest.isEmpty else { throw NATSError.malformedHeaders("bad status") }
        if digits.isEmpty { return }
        guard digits.count == 3 else { throw NATSError.malformedHeaders("status is not three digits") }
        headers.status = Int(String(decoding: digits, as: UTF8.self))
        let afterDigits = rest.dropFirst(digits.count)
        if afterDigits.isEmpty { return }
        guard afterDigits.first == UInt8(ascii: " ") else { throw NATSError.malformedHeaders("bad status") }
        let description = afterDigits.drop(while: { $0 == UInt8(ascii: " ") })
        if !description.isEmpty { headers.statusDescription = String(decoding: description, as: UTF8.self) }
    }

    /// Splits on CRLF; a lone CR or LF is an error (it would be read differently by others).
    private static func splitLines(_ bytes: ByteBuffer) throws -> [ArraySlice<UInt8>] {
        let all = bytes.readableBytesView
        let array = Array(all)
        var lines: [ArraySlice<UInt8>] = []
        var start = 0
        var index = 0
        while index < array.count {
            let byte = array[index]
            if byte == 0x0D {
                guard index + 1 < array.count, array[index + 1] == 0x0A else {
                    throw NATSError.malformedHeaders("CR without LF")
                }
                lines.append(array[start..<index])
                index += 2
                start = index
                continue
            }
            if byte == 0x0A { throw NATSError.malformedHeaders("LF without CR") }
            index += 1
        }
        lines.append(array[start..<array.count])
        return lines
    }
}
