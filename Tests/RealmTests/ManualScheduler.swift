import Realm
import Synchronization

/// A scheduler whose timers fire only when the test says so.
final class ManualScheduler: RealmScheduler {
    private final class Timer: ScheduledWork {
        let delay: Int64
        let work: @Sendable () -> Void
        let canceled = Atomic<Bool>(false)
        init(delay: Int64, work: @escaping @Sendable () -> Void) { self.delay = delay; self.work = work }
        func cancel() { canceled.store(true, ordering: .relaxed) }
    }

    private let timers = Mutex<[Timer]>([])

    func schedule(afterMilliseconds delay: Int64, _ work: @escaping @Sendable () -> Void) -> any ScheduledWork {
        let timer = Timer(delay: delay, work: work)
        timers.withLock { $0.append(timer) }
        return timer
    }

    var scheduledDelays: [Int64] { timers.withLock { $0.map(\.delay) } }
    var activeCount: Int { timers.withLock { $0.filter { !$0.canceled.load(ordering: .relaxed) }.count } }

    /// Fires every timer not canceled.
    func fireAll() {
        let due = timers.withLock { timers -> [Timer] in
            defer { timers.removeAll() }
            return timers
        }
        for timer in due where !timer.canceled.load(ordering: .relaxed) { timer.work() }
    }
}
