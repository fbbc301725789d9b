import NATSClient
import Synchronization
import WampMessages

/// The headers a call's messages carry to another node, naming this node's slot as it is when
/// the message is sent: the answers come back to `wamp.node.<that slot>.…`, so a stand-in made
/// before a slot change must not keep naming the slot this node gave up.
final class OwnSlotHeaders: Sendable {
    private let calleeID: WampID
    private let serialization: UInt8
    private let ownSlot: @Sendable () -> Int
    private let cached: Mutex<(slot: Int, headers: NATSHeaders)?>

    init(calleeID: WampID, serialization: WampSerialization, ownSlot: @escaping @Sendable () -> Int) {
        self.calleeID = calleeID
        self.serialization = serialization.rawValue
        self.ownSlot = ownSlot
        self.cached = Mutex(nil)
    }

    var current: NATSHeaders {
        let slot = ownSlot()
        return cached.withLock { cached in
            if let cached, cached.slot == slot { return cached.headers }
            let headers = ClusterSubjects.headers(node: slot, callee: calleeID, serialization: serialization)
            cached = (slot, headers)
            return headers
        }
    }
}
