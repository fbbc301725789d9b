import NATSClient
import Synchronization

/// The NATS subscriptions on "this node's slot" subjects (`wamp.node.<slot>.…`) of one part of
/// the cluster. Such a subject names whichever node holds the slot, so after a slot change
/// (ClusterNode `whenSlotChanged`) the old slot's subjects are another node's, or nobody's, and
/// listening there would take that node's traffic: `listen(slot:)` moves them, new ones first.
final class SlotSubscriptions: Sendable {
    typealias Subjects = [(subject: String, onMessage: @Sendable (NATSMessage) -> Void)]

    private let connection: NATSConnection
    private let current = Mutex<(slot: Int, subscriptions: [NATSSubscription])>((0, []))

    init(connection: NATSConnection) {
        self.connection = connection
    }

    /// The slot listened on; 0 for none.
    var slot: Int { current.withLock { $0.slot } }

    /// Subscribes `subjects` (those of `slot`), then ends the previous slot's; returns that
    /// previous slot (0 for none). Slot 0 is none: it only ends the previous subscriptions. When
    /// NATS refuses a subject, the ones made for `slot` are ended again and the previous ones stay.
    @discardableResult
    func listen(slot: Int, _ subjects: Subjects) throws -> Int {
        var made: [NATSSubscription] = []
        if slot > 0 {
            do {
                for (subject, onMessage) in subjects { made.append(try connection.subscribe(subject, onMessage: onMessage)) }
            } catch {
                for subscription in made { connection.unsubscribe(subscription) }
                throw error
            }
        }
        let previous = current.withLock { current in
            defer { current = (slot, made) }
            return current
        }
        for subscription in previous.subscriptions { connection.unsubscribe(subscription) }
        return previous.slot
    }

    /// Ends the subscriptions (a later `listen` makes new ones).
    func stop() {
        _ = try? listen(slot: 0, [])
    }
}
