/// Every failure this module reports. Protocol errors name what was wrong with the server's
/// bytes so that a hostile or broken server shows up in a log as such, never as a crash.
public enum NATSError: Error, Equatable, Sendable {
    // MARK: Parsing what the server sends
    /// A control line (up to CRLF) longer than the parser's bound (4096 bytes).
    case controlLineTooLong(limit: Int)
    /// An operation name the client protocol does not have.
    case unknownOperation(String)
    /// A known operation whose arguments do not parse (wrong count, not a number, ...).
    case malformedOperation(String)
    /// A MSG/HMSG payload larger than the server's own `max_payload`.
    case payloadTooLarge(size: Int, limit: Int)
    /// The bytes after a payload are not CRLF.
    case missingPayloadTerminator
    /// INFO's JSON does not decode.
    case malformedInfo(String)
    /// A headers block that does not start with `NATS/1.0` or has a line that is not `Key: value`.
    case malformedHeaders(String)

    // MARK: What the client asked for
    /// A subject (or queue group) that the protocol would reject or misread.
    case invalidSubject(String)
    /// A header key or value that would break the headers block (CR, LF, or ':' in a key).
    case invalidHeader(String)
    /// The payload is larger than the connected server's `max_payload`.
    case messageTooLarge(size: Int, limit: Int)

    // MARK: Connection
    /// Not connected right now (connecting, reconnecting or closed): nothing was sent. Publishes
    /// fail fast with this rather than queue, so a caller sees the outage at once.
    case notConnected
    /// `close()` was called, or the reconnect attempts are used up.
    case closed
    /// The server sent `-ERR`.
    case serverError(String)
    /// A server address that is not `nats://host:port` (or `host:port`).
    case invalidServerAddress(String)

    // MARK: Request/reply
    /// No reply within the request's timeout.
    case timeout
    /// The server answered a request with status 503: nobody subscribes to the subject.
    case noResponders
    /// More requests in flight than the connection's `maxPendingRequests`.
    case tooManyPendingRequests(limit: Int)
}
