import Synchronization

/// A listener's transport settings, swapped whole by a reload: sessions that start afterwards
/// get the new principals, running sessions keep what they authenticated with.
final class TransportBox: Sendable {
    private let value: Mutex<TransportContext>

    init(_ transport: TransportContext) {
        value = Mutex(transport)
    }

    var current: TransportContext { value.withLock { $0 } }

    func replace(_ transport: TransportContext) {
        value.withLock { $0 = transport }
    }
}
