import WampMessages

/// One session joined to a realm: its ID, how to reach it, who it authenticated as, and which
/// Advanced Profile features it announced.
public final class RealmSession: Sendable {
    public let id: WampID
    public let peer: any Peer
    public let authid: String
    public let authrole: String
    public let authmethod: String
    public let features: PeerFeatures
    /// HELLO.Details.roles as the peer sent them (for `wamp.session.get`).
    public let roles: JSONValue?

    public init(id: WampID, peer: any Peer, authid: String, authrole: String = "anonymous",
                authmethod: String = "anonymous", roles: JSONValue? = nil) {
        self.id = id
        self.peer = peer
        self.authid = authid
        self.authrole = authrole
        self.authmethod = authmethod
        self.roles = roles
        self.features = PeerFeatures(helloRoles: roles)
    }
}
