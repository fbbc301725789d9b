import WampMessages

/// Whatever a realm delivers messages to: in the router, one WebSocket session.
///
/// `send` may be called from any thread and must not block: the router's implementation queues the
/// bytes for its connection and flushes once per event-loop tick.
public protocol Peer: AnyObject, Sendable {
    func send(_ message: EncodedMessage)

    /// Ends the session from the router's side (`wamp.session.kill*`): GOODBYE with `reason` and
    /// `message`, then the session leaves its realm. May be called from any thread.
    func kill(reason: String, message: String?)
}

extension Peer {
    public func send(_ message: WampMessage) {
        send(MessageEncoder.encode(message))
    }
}
