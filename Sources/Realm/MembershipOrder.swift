import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Serialises the changes that fire meta events (join, subscribe, register and their reverses)
/// in one realm, and delivers what they send in that same order, so that observers see them in
/// the order they happened across sessions: `on_create` before another session's `on_register`
/// for the same registration, `on_unregister` before `on_delete`. Calls and publications never
/// take it.
///
/// Locks decide, never act: `run` executes the decision under the lock, which only records and
/// collects outbound messages in an `Outbox`; the messages are queued in decision order and sent
/// after the lock is released. One thread at a time (the drainer) performs the queue, so the
/// order holds across threads without any send under the lock. A caller returns only once its
/// own messages have been sent (by itself or the drainer), so its later direct sends (RESULT,
/// PUBLISHED, EVENT) cannot overtake them. A send that re-enters `run` on the draining thread
/// (a peer whose send ends its session synchronously) queues its work behind the current item
/// and returns at once: no recursive lock, no wait on itself.
public final class MembershipOrder: Sendable {
    private struct State {
        var queue: [Outbox.Item] = []
        var drainer: pthread_t?
        /// Items ever queued / ever performed: a caller's ticket is `queued` after its append.
        var queued: UInt64 = 0
        var performed: UInt64 = 0
    }

    private let lock = Mutex(State())

    public init() {}

    func run<T: Sendable>(_ body: (inout Outbox) -> T) -> T {
        let me = pthread_self()
        var outbox = Outbox()
        let (result, ticket, reentrant) = lock.withLock { state -> (T, UInt64, Bool) in
            let result = body(&outbox)
            let items = outbox.take()
            state.queue.append(contentsOf: items)
            state.queued += UInt64(items.count)
            let reentrant = state.drainer.map { pthread_equal($0, me) != 0 } ?? false
            return (result, state.queued, reentrant)
        }
        if !reentrant { deliver(through: ticket, me: me) }
        return result
    }

    /// Returns once everything queued up to `ticket` has been sent, draining the queue itself
    /// when no other thread is.
    private func deliver(through ticket: UInt64, me: pthread_t) {
        var spins = 0
        while true {
            enum Step { case done, wait, perform([Outbox.Item]) }
            let step = lock.withLock { state -> Step in
                if state.performed >= ticket { return .done }
                if state.drainer != nil { return .wait }
                if state.queue.isEmpty { return .done }
                state.drainer = me
                var batch: [Outbox.Item] = []
                swap(&batch, &state.queue)
                return .perform(batch)
            }
            switch step {
            case .done:
                return
            case .wait:
                // The drainer only enqueues bytes on connections (never blocks, never waits on
                // us), so this wait is short.
                spins += 1
                if spins > 64 { sched_yield() }
                continue
            case .perform(var batch):
                while true {
                    Outbox.perform(batch)
                    let performed = UInt64(batch.count)
                    batch = lock.withLock { state -> [Outbox.Item] in
                        state.performed += performed
                        if state.queue.isEmpty {
                            state.drainer = nil
                            return []
                        }
                        var next: [Outbox.Item] = []
                        swap(&next, &state.queue)
                        return next
                    }
                    if batch.isEmpty { return }
                }
            }
        }
    }
}
