import NATSClient
import Realm
import WampMessages

/// A callee on another node, as the caller's node's dealer sees it: what the dealer sends it
/// (INVOCATION, INTERRUPT) goes to `wamp.node.<slot>.inv`, already encoded in the callee's own
/// serialization, so the callee's node forwards the payload without converting it. Its answers
/// come back through `ClusterDealer` as if this peer had sent YIELD or ERROR.
final class RemoteCalleePeer: Peer {
    let slot: Int
    let calleeID: WampID
    let serialization: WampSerialization
    private let calleeMaxMessageSize: Int
    private let subject: String
    private let headers: OwnSlotHeaders
    private let connection: NATSConnection
    private let headerAllowance: Int
    /// Called (on any thread, no lock held) with a message that could not be published.
    private let onUnsent: @Sendable (EncodedMessage) -> Void

    /// `ownSlot`: this node's slot at the time of each message (the caller's answers go there).
    init(slot: Int, calleeID: WampID, serialization: WampSerialization, maxMessageSize: Int, ownSlot: @escaping @Sendable () -> Int,
         subjects: ClusterSubjects, connection: NATSConnection, headerAllowance: Int,
         onUnsent: @escaping @Sendable (EncodedMessage) -> Void) {
        self.slot = slot
        self.calleeID = calleeID
        self.serialization = serialization
        self.calleeMaxMessageSize = maxMessageSize
        self.subject = subjects.invocations(slot)
        self.headers = OwnSlotHeaders(calleeID: calleeID, serialization: serialization, ownSlot: ownSlot)
        self.connection = connection
        self.headerAllowance = headerAllowance
        self.onUnsent = onUnsent
    }

    /// The callee's own bound, and what one NATS message can carry: a larger INVOCATION ends the
    /// call with `wamp.error.payload_size_exceeded` on the caller's node, as for a local callee.
    var maxMessageSize: Int {
        guard connection.isConnected else { return calleeMaxMessageSize }
        return min(calleeMaxMessageSize, max(0, connection.maxPayload - headerAllowance))
    }

    func send(_ message: EncodedMessage) {
        do {
            try connection.publish(subject, payload: message.bytes, headers: headers.current)
        } catch {
            onUnsent(message)
        }
    }

    /// A session of another node is ended by that node only.
    func kill(reason: String, message: String?) {}
}

/// This node's callee as a caller on another node sees it: the dealer's answers for that node's
/// calls (RESULT, ERROR) go to `wamp.node.<caller slot>.res`, in the callee's serialization
/// (the caller's node converts for its caller, as for a local one). One per (caller node, callee).
final class RemoteCallerPeer: Peer {
    let serialization: WampSerialization
    private let subject: String
    private let headers: OwnSlotHeaders
    private let connection: NATSConnection
    private let headerAllowance: Int

    /// `ownSlot`: this node's slot at the time of each message (the caller's node knows this
    /// node's callee under it).
    init(callerSlot: Int, calleeID: WampID, serialization: WampSerialization, ownSlot: @escaping @Sendable () -> Int,
         subjects: ClusterSubjects, connection: NATSConnection, headerAllowance: Int) {
        self.serialization = serialization
        self.subject = subjects.results(callerSlot)
        self.headers = OwnSlotHeaders(calleeID: calleeID, serialization: serialization, ownSlot: ownSlot)
        self.connection = connection
        self.headerAllowance = headerAllowance
    }

    var maxMessageSize: Int {
        guard connection.isConnected else { return .max }
        return max(0, connection.maxPayload - headerAllowance)
    }

    /// A result lost while NATS is down: the caller's node ends the call by its timeout, or with
    /// `wamp.error.canceled` when it declares this node lost.
    func send(_ message: EncodedMessage) {
        try? connection.publish(subject, payload: message.bytes, headers: headers.current)
    }

    func kill(reason: String, message: String?) {}
}
