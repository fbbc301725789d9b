import NIOCore

/// Reads server operations out of a cumulation buffer, one at a time, as bytes arrive.
///
/// `next(from:)` consumes one complete operation and returns it, or consumes nothing and returns
/// nil while the operation is still incomplete; call it again when more bytes are appended. It
/// holds no partial state of its own, so a buffer split at any byte gives the same operations.
///
/// Bounds: a control line (up to CRLF) is at most `maxControlLine` bytes, and a MSG/HMSG payload
/// (headers included) at most `maxPayload`, which the driver sets from the server's INFO. The
/// declared size is checked before waiting for the payload, so a claim of gigabytes costs nothing:
/// bytes are only ever sliced out of what has arrived. Every malformed input throws a `NATSError`.
public struct NATSServerOperationParser: Sendable {
    public static let defaultMaxControlLine = 4096

    public var maxControlLine: Int
    public var maxPayload: Int

    public init(maxControlLine: Int = Self.defaultMaxControlLine, maxPayload: Int = NATSServerInfo.defaultMaxPayload) {
        self.maxControlLine = maxControlLine
        self.maxPayload = maxPayload
    }

    public mutating func next(from buffer: inout ByteBuffer) throws -> NATSServerOperation? {
        guard let lineLength = try controlLineLength(buffer) else { return nil }
        let view = buffer.readableBytesView
        let line = view[view.startIndex..<(view.startIndex + lineLength)]
        let words = Self.split(line)
        guard let name = words.first else { throw NATSError.malformedOperation("empty control line") }
        let upper = Self.uppercased(name)
        let consumedLine = lineLength + 2

        switch upper {
        case "MSG":
            // MSG <subject> <sid> [reply-to] <#bytes>
            guard words.count == 4 || words.count == 5 else { throw NATSError.malformedOperation("MSG arguments") }
            let size = try Self.number(words[words.count - 1])
            return try message(
                from: &buffer, line: consumedLine, subject: words[1], sid: words[2],
                replyTo: words.count == 5 ? words[3] : nil, headerSize: nil, totalSize: size)
        case "HMSG":
            // HMSG <subject> <sid> [reply-to] <#header bytes> <#total bytes>
            guard words.count == 5 || words.count == 6 else { throw NATSError.malformedOperation("HMSG arguments") }
            let headerSize = try Self.number(words[words.count - 2])
            let total = try Self.number(words[words.count - 1])
            guard headerSize <= total else { throw NATSError.malformedOperation("HMSG header size beyond total") }
            return try message(
                from: &buffer, line: consumedLine, subject: words[1], sid: words[2],
                replyTo: words.count == 6 ? words[3] : nil, headerSize: headerSize, totalSize: total)
        case "PING", "PONG", "+OK":
            guard words.count == 1 else { throw NATSError.malformedOperation("\(upper) with arguments") }
            buffer.moveReaderIndex(forwardBy: consumedLine)
            return upper == "PING" ? .ping : upper == "PONG" ? .pong : .ok
        case "-ERR":
            let text = Self.rest(of: line, after: name)
            buffer.moveReaderIndex(forwardBy: consumedLine)
            var message = String(decoding: text, as: UTF8.self)
            if message.count >= 2, message.hasPrefix("'"), message.hasSuffix("'") {
                message = String(message.dropFirst().dropLast())
            }
            return .err(message)
        case "INFO":
            let json = Array(Self.rest(of: line, after: name))
            guard !json.isEmpty else { throw NATSError.malformedInfo("no JSON") }
            let info = try NATSServerInfo.decode(json)
            buffer.moveReaderIndex(forwardBy: consumedLine)
            return .info(info)
        default:
            throw NATSError.unknownOperation(String(decoding: name.prefix(16), as: UTF8.self))
        }
    }

    /// The length of the control line before CRLF, nil while it is incomplete; throws when no CRLF
    /// comes within the bound, or a lone LF ends it (the server always sends CRLF).
    private func controlLineLength(_ buffer: ByteBuffer) throws -> Int? {
        let view = buffer.readableBytesView
        let searchEnd = view.startIndex + min(view.count, maxControlLine + 2)
        guard let lf = view[view.startIndex..<searchEnd].firstIndex(of: 0x0A) else {
            if view.count > maxControlLine + 1 { throw NATSError.controlLineTooLong(limit: maxControlLine) }
            return nil
        }
        guard lf > view.startIndex, view[lf - 1] == 0x0D else {
            throw NATSError.malformedOperation("control line ends in LF without CR")
        }
        let length = lf - 1 - view.startIndex
        guard length <= maxControlLine else { throw NATSError.controlLineTooLong(limit: maxControlLine) }
        return length
    }

    private func message(
        from buffer: inout ByteBuffer, line: Int, subject: ArraySlice<UInt8>, sid: ArraySlice<UInt8>,
        replyTo: ArraySlice<UInt8>?, headerSize: Int?, totalSize: Int
    ) throws -> NATSServerOperation? {
        guard totalSize <= maxPayload else { throw NATSError.payloadTooLarge(size: totalSize, limit: maxPayload) }
        let sidValue = try Self.number(sid)
        // Everything is checked before waiting for the payload, so garbage fails at once.
        guard buffer.readableBytes >= line + totalSize + 2 else { return nil }
        let view = buffer.readableBytesView
        let end = view.startIndex + line + totalSize
        guard view[end] == 0x0D, view[end + 1] == 0x0A else { throw NATSError.missingPayloadTerminator }
        var headers: NATSHeaders?
        if let headerSize {
            guard let block = buffer.getSlice(at: buffer.readerIndex + line, length: headerSize) else {
                throw NATSError.malformedOperation("header block")
            }
            headers = try NATSHeaders.parse(block)
        }
        let payloadOffset = line + (headerSize ?? 0)
        let payload = buffer.getSlice(at: buffer.readerIndex + payloadOffset, length: totalSize - (headerSize ?? 0))!
        let message = NATSMessage(
            subject: String(decoding: subject, as: UTF8.self), sid: UInt64(sidValue),
            replyTo: replyTo.map { String(decoding: $0, as: UTF8.self) }, headers: headers, payload: payload)
        buffer.moveReaderIndex(forwardBy: line + totalSize + 2)
        return .message(message)
    }

    /// Arguments split on runs of spaces and tabs.
    static func split(_ line: ByteBufferView.SubSequence) -> [ArraySlice<UInt8>] {
        let bytes = Array(line)
        var words: [ArraySlice<UInt8>] = []
        var start: Int?
        for index in 0...bytes.count {
            let isSeparator = index == bytes.count || bytes[index] == UInt8(ascii: " ") || bytes[index] == UInt8(ascii: "\t")
            if isSeparator {
                if let begin = start { words.append(bytes[begin..<index]) }
                start = nil
            } else if start == nil {
                start = index
            }
        }
        return words
    }

    /// What follows the operation name and the white space after it.
    private static func rest(of line: ByteBufferView.SubSequence, after name: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        let bytes = Array(line)
        var index = bytes.firstIndex(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }) ?? 0
        index += name.count
        while index < bytes.count, bytes[index] == UInt8(ascii: " ") || bytes[index] == UInt8(ascii: "\t") { index += 1 }
        return bytes[index...]
    }

    private static func uppercased(_ word: ArraySlice<UInt8>) -> String {
        String(decoding: word.prefix(8).map { $0 >= 0x61 && $0 <= 0x7A ? $0 - 0x20 : $0 }, as: UTF8.self)
            + (word.count > 8 ? "…" : "")
    }

    /// A decimal number of at most 12 digits (no sign): sizes and sids never need more.
    static func number(_ word: ArraySlice<UInt8>) throws -> Int {
        guard !word.isEmpty, word.count <= 12 else {
            throw NATSError.malformedOperation("number of \(word.count) digits")
        }
        var value = 0
        for byte in word {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else {
                throw NATSError.malformedOperation("not a number")
            }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }
}
