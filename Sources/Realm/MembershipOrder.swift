import Synchronization

/// Serialises the changes that fire meta events (join, subscribe, register and their reverses)
/// in one realm, together with those events, so that observers see them in the order they
/// happened across sessions: `on_create` before another session's `on_register` for the same
/// registration, `on_unregister` before `on_delete`. Calls and publications never take it.
public final class MembershipOrder: Sendable {
    private let lock = Mutex(())

    public init() {}

    func run<T>(_ body: () -> T) -> T {
        lock.withLock { _ in body() }
    }
}
