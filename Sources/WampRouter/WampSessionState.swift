import Realm

/// Where one connection's WAMP session stands.
///
/// A connection starts awaiting HELLO, is established after WELCOME, and goes back to awaiting
/// HELLO after a GOODBYE exchange (the spec lets a transport carry a new session then). `closing`
/// means the router said GOODBYE or ABORT and only waits for the peer or the transport to go.
enum WampSessionState {
    case awaitingHello
    case established(realm: Realm, session: RealmSession)
    case shuttingDown(realm: Realm, session: RealmSession)
    case closing
    case closed
}
