import WampAuth
import WampMessages

/// The client's answer to a CHALLENGE, computed from its credentials: AUTHENTICATE, or ABORT
/// `wamp.error.cannot_authenticate` (Autobahn's URI) when it cannot or will not answer.
enum ChallengeResponder {
    static let cannotAuthenticate = "wamp.error.cannot_authenticate"

    static func reply(to challenge: Challenge, credentials: WampClient.Credentials?) -> WampMessage {
        switch answer(challenge, credentials) {
        case .success(let signature):
            return .authenticate(Authenticate(signature: signature, extra: .emptyObject))
        case .failure(let refusal):
            return .abort(Abort(reason: cannotAuthenticate, message: refusal.message))
        }
    }

    struct Refusal: Error, Equatable {
        var message: String
    }

    static func answer(_ challenge: Challenge, _ credentials: WampClient.Credentials?) -> Swift.Result<String, Refusal> {
        guard let method = credentials?.methods.first(where: { $0.name.rawValue == challenge.authMethod }) else {
            return .failure(Refusal(message: "challenged with '\(challenge.authMethod)', which this client did not offer"))
        }
        switch method {
        case .anonymous:
            return .failure(Refusal(message: "anonymous takes no challenge"))
        case .ticket(let ticket):
            return .success(ticket)
        case .wampcra(let secret):
            guard let text = challenge.extra.string("challenge") else {
                return .failure(Refusal(message: "wampcra CHALLENGE without a challenge string"))
            }
            var salting: WampCRA.Salting?
            if challenge.extra.contains("salt") {
                guard let announced = WampCRA.salting(inChallengeExtra: challenge.extra), announced.isWithinBounds else {
                    return .failure(Refusal(message: "wampcra CHALLENGE with unusable salt, iterations or keylen"))
                }
                salting = announced
            }
            guard let signature = WampCRA.signature(challenge: text, secret: secret, salting: salting) else {
                return .failure(Refusal(message: "wampcra CHALLENGE with unusable salting"))
            }
            return .success(signature)
        case .cryptosign(let seed):
            guard let hex = challenge.extra.string("challenge"), let bytes = Hex.decode(hex),
                  bytes.count == Cryptosign.challengeLength else {
                return .failure(Refusal(message: "cryptosign CHALLENGE without a 32-byte hex challenge"))
            }
            // This client never asks for channel binding; a router that binds anyway would
            // expect a signature over bytes this client cannot know.
            if let binding = challenge.extra.value("channel_binding"), !binding.isNull {
                return .failure(Refusal(message: "cryptosign CHALLENGE with channel binding this client did not ask for"))
            }
            guard let key = Cryptosign.privateKey(seedHex: Hex.encode(seed)),
                  let signature = Cryptosign.sign(challenge: bytes, channelBinding: nil, privateKey: key) else {
                return .failure(Refusal(message: "cryptosign key unusable"))
            }
            return .success(signature)
        }
    }
}
