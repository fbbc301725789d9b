import NIOCore
import Realm

/// Backs the dealer's call timeouts with NIO timers, spread over the router's event loops.
struct EventLoopScheduler: RealmScheduler {
    let group: any EventLoopGroup

    func schedule(afterMilliseconds delay: Int64, _ work: @escaping @Sendable () -> Void) -> any ScheduledWork {
        ScheduledTimer(task: group.next().scheduleTask(in: .milliseconds(delay), work))
    }

    private struct ScheduledTimer: ScheduledWork {
        let task: Scheduled<Void>
        func cancel() { task.cancel() }
    }
}
