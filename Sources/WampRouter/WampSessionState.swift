import Realm

/// Where one connection's WAMP session stands.
///
/// A connection starts awaiting HELLO, is established after WELCOME, and goes back to awaiting
/// HELLO after a GOODBYE exchange the peer started (the spec lets a transport carry a new session
/// then). When the router ends a session (shutdown, `wamp.session.kill`) the session leaves its
/// realm at once and the router waits for the peer's GOODBYE before closing the connection with
/// the recorded code. `closing` means only the transport is left to go.
enum WampSessionState {
    case awaitingHello
    case established(realm: Realm, session: RealmSession)
    case awaitingGoodbyeReply(closeCode: WebSocketErrorCode)
    case closing
    case closed
}

import NIOWebSocket
