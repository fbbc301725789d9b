import NIOCore
import WampMessages

/// A client state with no router behind it, for driving the session logic on values
/// (`ClientAuthenticationTests`): its messages go to a transport that records nothing.
extension ClientState {
    convenience init(credentials: WampClient.Credentials?) {
        self.init(serialization: .json, realm: "", credentials: credentials, roles: [],
                  connector: ClientTransportConnector(endpoint: "nowhere") { _, _ in throw WampClientError.connectionClosed },
                  reconnectPolicy: nil, joinTimeout: .seconds(10))
    }

    /// Waits for WELCOME as `join` does, without a transport.
    func awaitWelcome(_ continuation: CheckedContinuation<Welcome, any Error>) {
        storage.withLock { $0.welcome = continuation }
    }

    /// AUTHENTICATE (or the client's ABORT) for a CHALLENGE while joining; `nil` otherwise,
    /// when a CHALLENGE has no meaning and is ignored.
    func reply(to challenge: Challenge) -> WampMessage? {
        guard storage.withLock({ $0.welcome != nil }) else { return nil }
        return ChallengeResponder.reply(to: challenge, credentials: credentials)
    }

    func receive(_ message: WampMessage) {
        receive(message, from: DetachedTransport())
    }
}

/// Sends nowhere; never open.
final class DetachedTransport: ClientTransport {
    func send(_ bytes: ByteBuffer) {}
    func close() {}
    var isOpen: Bool { false }
}
