import NIOCore

/// A message as delivered (MSG or HMSG), or as a reply to a request.
public struct NATSMessage: Sendable, Equatable {
    public var subject: String
    /// The subscription id it was delivered for (0 for messages not read from the wire).
    public var sid: UInt64
    public var replyTo: String?
    /// Present only for HMSG; a status-only reply (503, 408, 100 ...) has headers and no payload.
    public var headers: NATSHeaders?
    public var payload: ByteBuffer

    public init(subject: String, sid: UInt64, replyTo: String? = nil, headers: NATSHeaders? = nil, payload: ByteBuffer) {
        self.subject = subject
        self.sid = sid
        self.replyTo = replyTo
        self.headers = headers
        self.payload = payload
    }

    /// The status code of the headers block, if any.
    public var status: Int? { headers?.status }
}

/// One operation read from the server.
public enum NATSServerOperation: Sendable, Equatable {
    case info(NATSServerInfo)
    case message(NATSMessage)
    case ping
    case pong
    case ok
    /// `-ERR` with the server's text (quotes removed).
    case err(String)
}
