import WampMessages

/// Messages a routing decision produced, to be sent once every routing lock is released.
///
/// Code that runs under a lock (the broker's, the dealer's, the membership order) appends here
/// instead of calling `Peer.send`: a send can overflow a peer's backlog and end its session, and
/// ending a session re-enters routing code, which must never happen while a lock is held.
/// Messages are kept unencoded where they go to one peer, so encoding also happens after release.
public struct Outbox {
    enum Item {
        case message(any Peer, WampMessage)
        /// Already encoded: the bytes one subscription's EVENT shares between its subscribers.
        case encoded(any Peer, EncodedMessage)
        /// Work for another part (the cluster relay) that must happen in this order, unlocked.
        case action(@Sendable () -> Void)
    }

    private(set) var items: [Item] = []

    public init() {}

    public mutating func send(_ message: WampMessage, to peer: any Peer) {
        items.append(.message(peer, message))
    }

    /// Runs `body` in this outbox's order, once every routing lock is released.
    mutating func run(_ body: @escaping @Sendable () -> Void) {
        items.append(.action(body))
    }

    mutating func take() -> [Item] {
        defer { items = [] }
        return items
    }

    /// Performs every send in order. Call with no routing lock held.
    public consuming func perform() {
        Outbox.perform(items)
    }

    static func perform(_ items: [Item]) {
        for item in items {
            switch item {
            case .message(let peer, let message): peer.send(message)
            case .encoded(let peer, let message): peer.send(message)
            case .action(let body): body()
            }
        }
    }
}

/// Where a fan-out puts the messages it decides on: straight to the peers (no lock held), or into
/// an `Outbox` (under the membership order). Generic so the direct path costs nothing extra.
protocol MessageSink {
    mutating func send(_ message: EncodedMessage, to peer: any Peer)
}

/// Sends at once; only for code that holds no routing lock.
struct DirectSink: MessageSink {
    /// Messages sent (a publication's fan-out, for metrics).
    private(set) var sent = 0

    mutating func send(_ message: EncodedMessage, to peer: any Peer) {
        sent &+= 1
        peer.send(message)
    }
}

extension Outbox: MessageSink {
    mutating func send(_ message: EncodedMessage, to peer: any Peer) {
        items.append(.encoded(peer, message))
    }
}
