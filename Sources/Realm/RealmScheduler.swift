/// Runs work later, for dealer-side call timeouts. The router backs it with an event loop; tests
/// use a manual clock. Realm code stays free of NIO.
public protocol RealmScheduler: Sendable {
    func schedule(afterMilliseconds delay: Int64, _ work: @escaping @Sendable () -> Void) -> any ScheduledWork
}

public protocol ScheduledWork: Sendable {
    func cancel()
}
