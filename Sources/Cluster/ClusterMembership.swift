import NATSClient

/// What the cluster's routing parts (pub/sub, RPC, meta API) need from the node they run on:
/// its slot, its NATS connection and which other nodes are alive. `ClusterNode` is the real one
/// (a slot claimed in JetStream key-value, heartbeats); tests may use a fixed one.
public protocol ClusterMembership: AnyObject, Sendable {
    /// This node's slot, 1...1023: the top bits of the IDs it draws and its subject token in
    /// `wamp.node.<slot>.<kind>`.
    var slot: Int { get }
    /// This node's name (`--node-name`).
    var nodeName: String { get }
    /// The connection every cluster part shares (one TCP connection per node, so one order).
    var connection: NATSConnection { get }
    /// The slots of the other nodes this node believes alive now.
    func liveSlots() -> [Int]
    /// Calls `handler` (on any thread, never under a routing lock) with the slot of each node
    /// that is declared dead from now on.
    func whenNodeLost(_ handler: @escaping @Sendable (Int) -> Void)
    /// Calls `handler` (on any thread, no lock held) with the new slot when this node had to
    /// claim another one: what listens on `wamp.node.<slot>.…` or stores the slot moves with it.
    func whenSlotChanged(_ handler: @escaping @Sendable (Int) -> Void)
}
