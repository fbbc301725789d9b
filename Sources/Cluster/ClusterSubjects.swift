import NATSClient

/// The core NATS subjects and headers of cross-node RPC for one realm: a node's direct traffic
/// is `wamp.node.<slot>.<kind>.<realm as hex>` (docs/cluster.md "Subjects"; the realm token
/// lets one connection carry every realm without a header lookup before dispatch).
struct ClusterSubjects: Sendable {
    let realmToken: String

    init(realm: String) { realmToken = RegistrationRecord.hex(realm) }

    /// INVOCATION and INTERRUPT towards a callee on node `slot`.
    func invocations(_ slot: Int) -> String { "wamp.node.\(slot).inv.\(realmToken)" }
    /// RESULT and ERROR towards a caller on node `slot`.
    func results(_ slot: Int) -> String { "wamp.node.\(slot).res.\(realmToken)" }
    /// Requests for node `slot`'s retained events, answered on the asker's inbox.
    func retainedSnapshots(_ slot: Int) -> String { "wamp.node.\(slot).rts.\(realmToken)" }
    /// Registration changes node `slot` must apply and acknowledge.
    func announcements(_ slot: Int) -> String { "wamp.node.\(slot).ann.\(realmToken)" }
    /// Session meta queries node `slot` answers for its own sessions.
    func metaQueries(_ slot: Int) -> String { "wamp.node.\(slot).meta.\(realmToken)" }
    /// "<old slot> <new slot>" from a node that had to claim another slot while its sessions live on.
    var slotMoves: String { "wamp.nodes.moved.\(realmToken)" }

    /// The node a message comes from.
    static let node = "Wamp-Node"
    /// The callee session a call's messages are about.
    static let callee = "Wamp-Callee"
    /// The serialization of the WAMP message in the payload (`WampSerialization.rawValue`).
    static let serialization = "Wamp-Serialization"
    /// An announcement's key and revision; `Wamp-Deleted: 1` for a removed key.
    static let key = "Wamp-Key"
    static let revision = "Wamp-Revision"
    static let deleted = "Wamp-Deleted"

    static func headers(node: Int, callee: UInt64, serialization: UInt8) -> NATSHeaders {
        NATSHeaders([(ClusterSubjects.node, String(node)), (ClusterSubjects.callee, String(callee)),
                     (ClusterSubjects.serialization, String(serialization))])
    }
}
