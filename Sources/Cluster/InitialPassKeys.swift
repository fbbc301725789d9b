import NIOConcurrencyHelpers

/// The keys a new watch's initial pass delivers, so a copy can then drop what it holds that the
/// bucket no longer has (its delete marker swept while this node was away). Recording stops at
/// `finish()`: later entries need no record, and the set must not grow with them.
final class InitialPassKeys: Sendable {
    private let keys = NIOLockedValueBox<Set<String>?>([])

    func saw(_ key: String) {
        keys.withLockedValue { _ = $0?.insert(key) }
    }

    /// The keys seen so far; nothing is recorded after it.
    func finish() -> Set<String> {
        keys.withLockedValue { keys in
            defer { keys = nil }
            return keys ?? []
        }
    }
}
