import Synchronization

/// Where the router is in its life, for `/health` and the status page: the admin listener
/// starts before the WAMP listeners (so it can say "starting") and stops after them.
public final class RouterHealth: Sendable {
    public enum Phase: UInt8, Sendable, CustomStringConvertible {
        /// Listeners are being bound; `/health` answers 503.
        case starting = 0
        /// Every listener is up; `/health` answers 200 while the loops answer in time.
        case serving = 1
        /// Shutdown began (SIGTERM): no new connections, sessions are told GOODBYE; 503.
        case draining = 2

        public var description: String {
            switch self {
            case .starting: "starting"
            case .serving: "serving"
            case .draining: "draining"
            }
        }
    }

    private let rawPhase = Atomic<UInt8>(Phase.starting.rawValue)

    public init() {}

    public var phase: Phase { Phase(rawValue: self.rawPhase.load(ordering: .acquiring)) ?? .starting }

    /// Moves forward only (starting -> serving -> draining): a late "serving" after shutdown
    /// began must not turn health green again.
    public func advance(to phase: Phase) {
        var current = self.rawPhase.load(ordering: .relaxed)
        while current < phase.rawValue {
            let (exchanged, original) = self.rawPhase.compareExchange(
                expected: current, desired: phase.rawValue, ordering: .acquiringAndReleasing)
            if exchanged { return }
            current = original
        }
    }
}
