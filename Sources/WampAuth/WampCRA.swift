import Crypto
import _CryptoExtras
import WampMessages

/// WAMP-CRA (the spec's "Challenge Response Authentication"): the router sends a JSON challenge,
/// the client answers with `base64(HMAC-SHA256(key, challenge))`.
///
/// The key is the secret's UTF-8 bytes, or, for salted users, the *base64 text* of
/// `PBKDF2-HMAC-SHA256(secret, salt, iterations, keylen)`: Autobahn's `derive_key` returns that
/// text and `compute_wcs` keys the HMAC with its bytes, and every WAMP-CRA client follows it.
public enum WampCRA {
    /// Iterations and key lengths outside these bounds are refused: a hostile router (or a
    /// mistyped config) could otherwise make a client or the router spin on PBKDF2 for hours.
    public static let iterationRange = 1...10_000_000
    public static let keyLengthRange = 1...1_024

    /// PBKDF2 parameters of a salted secret (`CHALLENGE.Extra` `salt`, `iterations`, `keylen`).
    public struct Salting: Sendable, Hashable {
        public var salt: String
        public var iterations: Int
        public var keylen: Int

        public init(salt: String, iterations: Int = 1000, keylen: Int = 32) {
            self.salt = salt
            self.iterations = iterations
            self.keylen = keylen
        }

        public var isWithinBounds: Bool {
            WampCRA.iterationRange.contains(iterations) && WampCRA.keyLengthRange.contains(keylen)
        }
    }

    /// Autobahn's `derive_key`: the base64 text of the PBKDF2-HMAC-SHA256 key; `nil` when the
    /// parameters are out of bounds.
    public static func deriveKey(secret: String, salting: Salting) -> String? {
        guard salting.isWithinBounds,
              let key = try? KDF.Insecure.PBKDF2.deriveKey(
                  from: Array(secret.utf8), salt: Array(salting.salt.utf8), using: .sha256,
                  outputByteCount: salting.keylen, unsafeUncheckedRounds: salting.iterations)
        else { return nil }
        return Base64Text.encode(key.withUnsafeBytes { Array($0) })
    }

    /// Autobahn's `compute_wcs`: `base64(HMAC-SHA256(key's UTF-8 bytes, challenge's UTF-8 bytes))`.
    public static func sign(challenge: String, key: String) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: Array(challenge.utf8), using: SymmetricKey(data: Array(key.utf8)))
        return Base64Text.encode(Array(code))
    }

    /// The signature a client holding `secret` sends for `challenge`, deriving the key first when
    /// the challenge came with salting; `nil` when the salting is out of bounds.
    public static func signature(challenge: String, secret: String, salting: Salting?) -> String? {
        guard let salting else { return sign(challenge: challenge, key: secret) }
        return deriveKey(secret: secret, salting: salting).map { sign(challenge: challenge, key: $0) }
    }

    /// The challenge text: a JSON object with the members the spec lists, in its order, written
    /// by jansson (compact). Clients sign the text as received, so its spelling is ours to choose.
    public static func challengeText(authid: String, authrole: String, authprovider: String, nonce: String,
                                     timestamp: String, session: WampID) -> String {
        let object = JSONValue.makeObject()
        object.set("authid", string: authid)
        object.set("authrole", string: authrole)
        object.set("authmethod", string: AuthMethod.wampcra.rawValue)
        object.set("authprovider", string: authprovider)
        object.set("nonce", string: nonce)
        object.set("timestamp", string: timestamp)
        object.set("session", integer: Int64(session))
        return object.jsonText
    }

    /// A nonce like Autobahn's `newid(64)`: 48 random bytes as 64 base64 characters.
    public static func nonce(random: AuthRandom) -> String {
        Base64Text.encode(random.bytes(48))
    }

    /// The salting `CHALLENGE.Extra` announces, if any; `nil` also for a malformed one, so the
    /// caller can tell the two apart with `extra.contains("salt")`.
    public static func salting(inChallengeExtra extra: JSONValue) -> Salting? {
        guard let salt = extra.string("salt") else { return nil }
        let iterations = extra.integer("iterations").map(Int.init) ?? 1000
        let keylen = extra.integer("keylen").map(Int.init) ?? 32
        return Salting(salt: salt, iterations: iterations, keylen: keylen)
    }
}
