import WampMessages

/// Where a realm keeps a copy of its sessions' testaments outside this process, so that they
/// still fire when the process dies (the cluster, issue 12; docs/cluster.md "Testaments").
/// `Realm` knows nothing of how: the `Cluster` module implements it over NATS key-value. A
/// realm without a keeper pays one nil check per `add_testament`, `flush_testaments` and leave.
///
/// The realm calls it outside every routing lock, possibly from several threads at once; each
/// snapshot carries `change`, which grows with every change of that session's list, so the
/// keeper can tell a late call from a newer one.
public protocol TestamentKeeper: AnyObject, Sendable {
    /// The session's list changed (`add_testament`, `flush_testaments`): `testaments` is the
    /// whole list now, empty when none is left.
    func testamentsChanged(_ testaments: SessionTestaments)
    /// The session left normally and its testaments (`testaments`, possibly none) were published
    /// here: the copy has no use any more.
    func sessionLeft(_ testaments: SessionTestaments)
}

/// One session's testaments at one moment, with what is needed to publish them on its behalf
/// after the session's node is gone.
public struct SessionTestaments: Sendable {
    public var session: WampID
    public var authid: String
    public var authrole: String
    /// Grows by one with each change of the session's list (0: no testament ever).
    public var change: UInt64
    /// Published first when the session goes, in the order added.
    public var detached: [Testament]
    /// Published after the detached ones, in the order added.
    public var destroyed: [Testament]

    public init(session: WampID, authid: String, authrole: String, change: UInt64 = 0,
                detached: [Testament] = [], destroyed: [Testament] = []) {
        self.session = session
        self.authid = authid
        self.authrole = authrole
        self.change = change
        self.detached = detached
        self.destroyed = destroyed
    }

    public var count: Int { detached.count + destroyed.count }
    public var isEmpty: Bool { detached.isEmpty && destroyed.isEmpty }
}
