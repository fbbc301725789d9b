/// The labels of the session gauge and the join/leave counters. Every value comes from the
/// router's configuration or its own vocabulary (realm names are configured; transport and
/// serializer are the router's names), never from a peer.
package struct SessionLabels: Hashable, Sendable, Comparable {
    package var realm: String
    /// `websocket` or `rawsocket`.
    package var transport: String
    /// `json`, `msgpack` or `cbor`.
    package var serializer: String

    package init(realm: String, transport: String, serializer: String) {
        self.realm = realm
        self.transport = transport
        self.serializer = serializer
    }

    package static func < (lhs: SessionLabels, rhs: SessionLabels) -> Bool {
        (lhs.realm, lhs.transport, lhs.serializer) < (rhs.realm, rhs.transport, rhs.serializer)
    }

    var pairs: [(String, String)] { [("realm", realm), ("transport", transport), ("serializer", serializer)] }
}
