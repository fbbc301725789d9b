import WampMessages

/// One session joined to a realm: its ID, how to reach it, and who it authenticated as.
public final class RealmSession: Sendable {
    public let id: WampID
    public let peer: any Peer
    public let authid: String
    public let authrole: String
    public let authmethod: String

    public init(id: WampID, peer: any Peer, authid: String, authrole: String = "anonymous", authmethod: String = "anonymous") {
        self.id = id
        self.peer = peer
        self.authid = authid
        self.authrole = authrole
        self.authmethod = authmethod
    }
}
