import WampMessages

/// The transport of a session that is gone, for the testaments published on its behalf after
/// its node died: nothing can reach it. Testaments never ask for acknowledgement, so the broker
/// has nothing to send it.
final class DepartedPeer: Peer {
    func send(_ message: EncodedMessage) {}
    func kill(reason: String, message: String?) {}
}
