import WampMessages

/// Whatever a realm delivers messages to: in the router, one session on a WebSocket or
/// RawSocket transport.
///
/// `send` may be called from any thread and must not block: the router's implementation queues the
/// bytes for its connection and flushes once per event-loop tick.
public protocol Peer: AnyObject, Sendable {
    /// The serialization this peer speaks: what messages to it must be encoded in.
    var serialization: WampSerialization { get }

    /// The largest message this peer accepts (a RawSocket client's announced maximum length);
    /// `Int.max` when it announced none. The realm never sends it anything larger: a call then
    /// ends with `wamp.error.payload_size_exceeded`, an event skips this peer (counted, logged).
    var maxMessageSize: Int { get }

    func send(_ message: EncodedMessage)

    /// Sends a message the router built (replies, meta events, errors), encoded for this peer.
    /// The router's sessions log and count one that cannot be delivered (too large for a
    /// RawSocket peer's announced maximum); the default, for test peers, drops it.
    func send(_ message: WampMessage)

    /// Ends the session from the router's side (`wamp.session.kill*`): GOODBYE with `reason` and
    /// `message`, then the session leaves its realm. May be called from any thread.
    func kill(reason: String, message: String?)
}

extension Peer {
    public var serialization: WampSerialization { .json }
    public var maxMessageSize: Int { .max }

    public func send(_ message: WampMessage) { sendDefault(message) }

    /// Sends a message the router built, whose payload (if any) is JSON the router wrote and so
    /// converts to every serialization. A forwarded message goes through `deliverable(_:)`.
    public func sendDefault(_ message: WampMessage) {
        switch deliverable(message) {
        case .success(let encoded): send(encoded)
        case .failure: break
        }
    }

    /// `message` encoded for this peer, or why it cannot be delivered to it: its payload has no
    /// lossless form in this peer's serialization, or the encoding is larger than the peer takes.
    public func deliverable(_ message: WampMessage) -> Swift.Result<EncodedMessage, DeliveryRefusal> {
        let encoded: EncodedMessage
        do {
            encoded = try serialization.encode(message)
        } catch {
            return .failure(.notRepresentable(error.reason))
        }
        guard encoded.bytes.readableBytes <= maxMessageSize else {
            return .failure(.tooLarge(size: encoded.bytes.readableBytes, limit: maxMessageSize))
        }
        return .success(encoded)
    }
}

/// Why a message cannot go to one peer.
public enum DeliveryRefusal: Error, Sendable, Equatable {
    /// A value in the payload has no lossless form in the receiver's serialization.
    case notRepresentable(String)
    /// The encoded message is larger than the receiver announced it accepts.
    case tooLarge(size: Int, limit: Int)

    /// The ERROR URI the sender gets (spec: `wamp.error.payload_size_exceeded` for size).
    public var errorURI: String {
        switch self {
        case .notRepresentable: "wamp.error.invalid_argument"
        case .tooLarge: "wamp.error.payload_size_exceeded"
        }
    }

    public var message: String {
        switch self {
        case .notRepresentable(let why): "the payload cannot be converted to the receiver's serializer: \(why)"
        case .tooLarge(let size, let limit): "the message takes \(size) bytes; the receiver accepts at most \(limit)"
        }
    }
}
