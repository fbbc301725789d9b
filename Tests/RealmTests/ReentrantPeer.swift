import Realm
import Synchronization
import WampMessages

/// A peer whose connection dies inside `send`: once armed, the first message it is sent makes
/// its session leave the realm on the sender's stack, as a transport that closed synchronously
/// on backlog overflow would. Routing code that sends under a lock then re-enters that lock.
final class ReentrantPeer: Peer {
    private struct State {
        var armed = false
        var left = false
        var received: [String] = []
    }

    private let state = Mutex(State())
    nonisolated(unsafe) weak var realm: Realm?
    nonisolated(unsafe) var session: RealmSession?

    func arm() { state.withLock { $0.armed = true } }

    var hasLeft: Bool { state.withLock { $0.left } }
    var received: [String] { state.withLock { $0.received } }

    func send(_ message: EncodedMessage) {
        let leaveNow = state.withLock { state -> Bool in
            state.received.append(message.description)
            guard state.armed, !state.left else { return false }
            state.left = true
            return true
        }
        if leaveNow, let realm, let session { realm.leave(session) }
    }

    func kill(reason: String, message: String?) {}

    static func join(_ realm: Realm, id: WampID) -> (RealmSession, ReentrantPeer) {
        let peer = ReentrantPeer()
        let session = RealmSession(id: id, peer: peer, authid: "slow-\(id)")
        peer.realm = realm
        peer.session = session
        realm.join(session)
        return (session, peer)
    }
}
