/// Why a node cannot join or go on sharing (start-up and acknowledged publications).
public enum ClusterError: Error, Equatable, CustomStringConvertible {
    case unreachable(String)
    case noFreeSlot
    case tooManyPendingFlushes(limit: Int)

    public var description: String {
        switch self {
        case .unreachable(let why): "cluster unreachable: \(why)"
        case .noFreeSlot: "all 1023 cluster slots are taken"
        case .tooManyPendingFlushes(let limit): "\(limit) publications already wait for NATS to confirm"
        }
    }
}
