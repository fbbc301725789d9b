import Foundation
import Synchronization
import WampMessages

/// The last errors the router sent (ERROR and ABORT), for the status page: time, URI, realm,
/// session; never a payload or a message text. A fixed ring, so a peer that provokes errors in
/// a loop costs a bounded amount of memory (and the oldest entries go).
final class RecentErrors: Sendable {
    struct Entry: Sendable, Equatable, Encodable {
        var time: String
        /// "ERROR CALL", "ERROR SUBSCRIBE", "ABORT".
        var kind: String
        var uri: String
        var realm: String
        var session: UInt64
    }

    static let defaultCapacity = 50
    /// URIs longer than this are cut (a peer-chosen ABORT reason is never stored whole).
    static let maxURILength = 200

    let capacity: Int
    private let state: Mutex<(entries: [Entry], next: Int)>
    /// Every error recorded since start (for the errors-per-second chart).
    private let recorded = Atomic<Int>(0)

    init(capacity: Int = RecentErrors.defaultCapacity) {
        self.capacity = max(1, capacity)
        self.state = Mutex(([], 0))
    }

    var total: Int { recorded.load(ordering: .relaxed) }

    func record(kind: String, uri: String, realm: String?, session: WampID?) {
        let shownURI = uri.utf8.count > Self.maxURILength ? String(decoding: uri.utf8.prefix(Self.maxURILength), as: UTF8.self) + "..." : uri
        let entry = Entry(time: UTCTimestamp.format(millisecondsSince1970: Int64(Date().timeIntervalSince1970 * 1000)),
                          kind: kind, uri: shownURI, realm: realm ?? "", session: session.map { UInt64($0) } ?? 0)
        recorded.wrappingAdd(1, ordering: .relaxed)
        let capacity = self.capacity
        state.withLock { state in
            if state.entries.count < capacity {
                state.entries.append(entry)
            } else {
                state.entries[state.next] = entry
            }
            state.next = (state.next + 1) % capacity
        }
    }

    /// Oldest first.
    var entries: [Entry] {
        state.withLock { state in
            guard state.entries.count == capacity else { return state.entries }
            return Array(state.entries[state.next...] + state.entries[..<state.next])
        }
    }
}
