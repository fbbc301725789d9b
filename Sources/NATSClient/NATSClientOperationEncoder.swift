import Foundation
import NIOCore

/// What CONNECT tells the server. `verbose` and `pedantic` are always off (no +OK per operation,
/// no server-side subject checks: this client checks subjects itself); `headers` and
/// `no_responders` are always on, so a request to a subject nobody serves fails at once with a
/// 503 status instead of waiting for its timeout.
public struct NATSConnectOptions: Sendable, Equatable {
    public var name: String
    public var user: String?
    public var password: String?
    public var token: String?
    /// Whether the server delivers this connection's own publishes to its own subscriptions.
    public var echo: Bool

    public init(name: String, user: String? = nil, password: String? = nil, token: String? = nil, echo: Bool = true) {
        self.name = name
        self.user = user
        self.password = password
        self.token = token
        self.echo = echo
    }
}

/// Writes client operations. Every function validates what it writes (subjects, queue groups,
/// header keys and values) and throws instead of writing bytes the server would misread.
public enum NATSClientOperationEncoder {
    static let crlf: StaticString = "\r\n"

    private struct ConnectJSON: Encodable {
        var verbose = false
        var pedantic = false
        var tls_required = false
        var name: String
        var lang = "swift"
        var version = "0.1.0"
        var `protocol` = 1
        var echo: Bool
        var headers = true
        var no_responders = true
        var user: String?
        var pass: String?
        var auth_token: String?
    }

    public static func connect(_ options: NATSConnectOptions, into buffer: inout ByteBuffer) {
        let json = ConnectJSON(
            name: options.name, echo: options.echo, user: options.user, pass: options.password,
            auth_token: options.token)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding a struct of strings, bools and ints cannot fail.
        let data = (try? encoder.encode(json)) ?? Data("{}".utf8)
        buffer.writeString("CONNECT ")
        buffer.writeBytes(data)
        buffer.writeStaticString(crlf)
    }

    /// PUB, or HPUB when `headers` is non-nil (an empty headers block is still sent as HPUB).
    public static func publish(
        subject: String, replyTo: String?, headers: NATSHeaders?, payload: ByteBuffer, into buffer: inout ByteBuffer
    ) throws {
        guard NATSSubject.isValidPublishSubject(subject) else { throw NATSError.invalidSubject(subject) }
        if let replyTo {
            guard NATSSubject.isValidPublishSubject(replyTo) else { throw NATSError.invalidSubject(replyTo) }
        }
        var headerBlock: ByteBuffer?
        if let headers {
            var block = ByteBuffer()
            try headers.encode(into: &block)
            headerBlock = block
        }
        if headerBlock != nil {
            buffer.writeString("HPUB ")
        } else {
            buffer.writeString("PUB ")
        }
        buffer.writeString(subject)
        if let replyTo {
            buffer.writeString(" ")
            buffer.writeString(replyTo)
        }
        if let headerBlock {
            buffer.writeString(" \(headerBlock.readableBytes) \(headerBlock.readableBytes + payload.readableBytes)")
        } else {
            buffer.writeString(" \(payload.readableBytes)")
        }
        buffer.writeStaticString(crlf)
        if let headerBlock { buffer.writeImmutableBuffer(headerBlock) }
        buffer.writeImmutableBuffer(payload)
        buffer.writeStaticString(crlf)
    }

    /// The size PUB/HPUB counts against `max_payload`: headers and payload together.
    public static func payloadSize(headers: NATSHeaders?, payload: ByteBuffer) throws -> Int {
        guard let headers else { return payload.readableBytes }
        var block = ByteBuffer()
        return try headers.encode(into: &block) + payload.readableBytes
    }

    public static func subscribe(subject: String, queueGroup: String?, sid: UInt64, into buffer: inout ByteBuffer) throws {
        guard NATSSubject.isValidSubscribeSubject(subject) else { throw NATSError.invalidSubject(subject) }
        buffer.writeString("SUB ")
        buffer.writeString(subject)
        if let queueGroup {
            guard NATSSubject.isValidQueueGroup(queueGroup) else { throw NATSError.invalidSubject(queueGroup) }
            buffer.writeString(" ")
            buffer.writeString(queueGroup)
        }
        buffer.writeString(" \(sid)")
        buffer.writeStaticString(crlf)
    }

    /// UNSUB; with `max`, the server ends the subscription after that many messages in all.
    public static func unsubscribe(sid: UInt64, max: Int?, into buffer: inout ByteBuffer) {
        buffer.writeString("UNSUB \(sid)")
        if let max { buffer.writeString(" \(max)") }
        buffer.writeStaticString(crlf)
    }

    public static func ping(into buffer: inout ByteBuffer) { buffer.writeString("PING\r\n") }
    public static func pong(into buffer: inout ByteBuffer) { buffer.writeString("PONG\r\n") }
}

/// Printing connect options never shows the password or token.
extension NATSConnectOptions: CustomStringConvertible, CustomReflectable {
    public var description: String {
        "NATSConnectOptions(name: \(name.debugDescription), user: \(user ?? "nil"), "
            + "password: \(password == nil ? "nil" : "<redacted>"), token: \(token == nil ? "nil" : "<redacted>"))"
    }

    public var customMirror: Mirror {
        Mirror(self, children: ["description": description], displayStyle: .struct)
    }
}
