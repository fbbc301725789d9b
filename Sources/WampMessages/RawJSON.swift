import NIOCore

/// JSON text exactly as a peer sent it: the bytes of one `Arguments` list or `ArgumentsKw` dict.
///
/// The router never looks inside application payloads, so it keeps their original bytes (a slice
/// of the received frame, no copy) and writes them back out unchanged. That makes payloads
/// byte-exact end to end (floats, big integers, escapes and `\u0000`-prefixed binary strings keep
/// their spelling) and spares one parse-and-dump per routed message. `JSONTextScanner` validated
/// the bytes when the message was decoded, without building a tree of them.
public struct RawJSON: Sendable, Hashable, CustomStringConvertible {
    public var bytes: ByteBuffer

    /// Wraps bytes the caller guarantees are one valid JSON value.
    public init(validatedBytes: ByteBuffer) {
        self.bytes = validatedBytes
    }

    /// Wraps text the caller built and guarantees is one valid JSON value (router-made payloads).
    public init(validatedText: String) {
        self.bytes = ByteBuffer(string: validatedText)
    }

    /// Keeps `text` only when it is a valid JSON value.
    public init?(_ text: String) {
        guard JSONValue.isValid(text) else { return nil }
        self.bytes = ByteBuffer(string: text)
    }

    /// JSON text of a value built in Swift.
    public init(_ value: JSONValue) {
        self.bytes = ByteBuffer(string: value.jsonText)
    }

    public static let emptyList = RawJSON(validatedBytes: ByteBuffer(string: "[]"))

    public var description: String { String(buffer: bytes) }

    /// The parsed value, for tests and for the rare router feature that must read a payload.
    public func parsed() -> JSONValue? { JSONValue.parse(description) }
}
