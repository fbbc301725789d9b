import Synchronization

/// What the pub/sub run shares across loops: how many events were sent and delivered (to cap the
/// deliveries in flight at max rate) and how to wake the publisher when it waits on that cap.
final class PubSubShared: @unchecked Sendable {
    let subscribers: Int
    /// Cap on events (publications x subscribers) in flight; nil when publishing at a fixed rate.
    let capEvents: Int?
    let sentEvents = Atomic<Int>(0)
    let delivered = Atomic<Int>(0)
    let publisherWaiting = Atomic<Bool>(false)
    /// Set once before publishing starts.
    var publisher: WampPeer?

    init(subscribers: Int, capEvents: Int?) {
        self.subscribers = subscribers
        self.capEvents = capEvents
    }
}
