import Synchronization
import WampAuth

/// A listener's authentication methods and principals, swapped whole by a reload: sessions that
/// start afterwards get the new principals, running sessions keep what they authenticated with.
final class TransportBox: Sendable {
    private let value: Mutex<TransportAuthConfiguration>

    init(_ auth: TransportAuthConfiguration) {
        value = Mutex(auth)
    }

    var current: TransportAuthConfiguration { value.withLock { $0 } }

    func replace(_ auth: TransportAuthConfiguration) {
        value.withLock { $0 = auth }
    }
}
