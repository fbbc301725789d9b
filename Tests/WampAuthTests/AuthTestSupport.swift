import Synchronization
import WampMessages
@testable import WampAuth

/// Deterministic "random" bytes: 0, 1, 2, ... continuing across draws, so tests know every
/// challenge and nonce the flow makes.
final class CountingRandom: Sendable {
    private let next = Mutex<UInt8>(0)

    var source: AuthRandom {
        AuthRandom { count in
            self.next.withLock { next in
                (0..<count).map { _ in
                    defer { next &+= 1 }
                    return next
                }
            }
        }
    }
}

enum Fixture {
    static let session: WampID = 4_242
    static let transport = AuthTransportInfo(peer: "tcp4:127.0.0.1:50321", isSecure: false, websocketProtocol: "wamp.2.json")
    static let clock = AuthClock { 1_403_454_985_448 }

    /// The spec's test vector key 1 (see CryptoVectorTests.specVectors).
    static let seed = "4d57d97a68f555696620a6d849c0ce582568518d729eb753dc7c732de2804510"
    static var publicKeyHex: String { Hex.encode(Cryptosign.privateKey(seedHex: seed)!.publicKey.rawRepresentation) }

    static func flow(_ configuration: TransportAuthConfiguration, _ hello: AuthHello,
                     channelBinding: ChannelBinding? = nil,
                     placement: @escaping AuthenticationFlow.Placement = { _, _ in .allowed }) -> AuthenticationFlow {
        AuthenticationFlow(configuration: configuration, hello: hello, session: session, transport: transport,
                           channelBinding: channelBinding, placement: placement, clock: clock,
                           random: CountingRandom().source)
    }

    static func object(_ text: String) -> JSONValue { JSONValue.parse(text)! }
}

extension AuthenticationAction {
    var identity: AuthIdentity? {
        if case .welcome(let identity) = self { return identity }
        return nil
    }

    var challengeExtra: JSONValue? {
        if case .challenge(_, let extra) = self { return extra }
        return nil
    }

    var challengeMethod: AuthMethod? {
        if case .challenge(let method, _) = self { return method }
        return nil
    }

    var abortReason: String? {
        if case .abort(let reason, _, _) = self { return reason }
        return nil
    }

    var abortMessage: String? {
        if case .abort(_, let message, _) = self { return message }
        return nil
    }

    var invocation: (DynamicAuthenticator, [JSONValue])? {
        if case .invokeAuthenticator(let authenticator, let arguments) = self { return (authenticator, arguments) }
        return nil
    }

    /// Everything a log line or the peer could see of this action.
    var visibleText: String {
        switch self {
        case .abort(let reason, let message, let detail): "\(description) \(reason) \(message) \(detail)"
        case .challenge(_, let extra): "\(description) \(extra.jsonText)"
        default: description
        }
    }
}
