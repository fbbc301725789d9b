import Synchronization
import WampMessages

/// A routing namespace: its sessions, its broker and its dealer. Sessions in different realms
/// never see each other.
public final class Realm: Sendable {
    public let name: String
    public let broker: Broker
    public let dealer: Dealer
    private let sessions = Mutex<[WampID: RealmSession]>([:])

    public init(name: String, uris: URIValidator = URIValidator(), eventHistory: [(prefix: String, limit: Int)] = []) {
        self.name = name
        self.broker = Broker(uris: uris, eventHistory: eventHistory)
        self.dealer = Dealer(uris: uris)
    }

    public func join(_ session: RealmSession) {
        sessions.withLock { $0[session.id] = session }
    }

    /// Settles everything a leaving session had: subscriptions, registrations, pending calls.
    public func leave(_ session: RealmSession) {
        let removed = sessions.withLock { $0.removeValue(forKey: session.id) != nil }
        guard removed else { return }
        broker.removeSession(session.id)
        dealer.removeSession(session.id)
    }

    public var sessionCount: Int { sessions.withLock { $0.count } }

    public var allSessions: [RealmSession] { sessions.withLock { Array($0.values) } }
}
