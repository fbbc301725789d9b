import Crypto

/// WAMP-Cryptosign (Ed25519): the router sends 32 random bytes as hex in
/// `CHALLENGE.Extra.challenge`; the client signs them (XORed with the TLS channel binding's 32
/// bytes when one is in use) and answers with the hex of the 64-byte signature followed by the
/// 32-byte message it signed (96 bytes, 192 hex digits), as the spec says.
public enum Cryptosign {
    public static let challengeLength = 32
    public static let signatureLength = 64

    /// 32 fresh challenge bytes.
    public static func challenge(random: AuthRandom) -> [UInt8] {
        random.bytes(challengeLength)
    }

    /// The message actually signed: the challenge, or the challenge XOR the channel binding data.
    /// `nil` when the binding data is not 32 bytes.
    public static func signedMessage(challenge: [UInt8], channelBinding: [UInt8]?) -> [UInt8]? {
        guard challenge.count == challengeLength else { return nil }
        guard let channelBinding else { return challenge }
        guard channelBinding.count == challengeLength else { return nil }
        return zip(challenge, channelBinding).map { $0 ^ $1 }
    }

    /// The client's AUTHENTICATE signature: hex(Ed25519 signature ++ signed message).
    public static func sign(challenge: [UInt8], channelBinding: [UInt8]?,
                            privateKey: Curve25519.Signing.PrivateKey) -> String? {
        guard let message = signedMessage(challenge: challenge, channelBinding: channelBinding),
              let signature = try? privateKey.signature(for: message)
        else { return nil }
        return Hex.encode(Array(signature) + message)
    }

    /// Whether `signature` (the AUTHENTICATE text) is 96 bytes of hex whose last 32 are
    /// `expectedMessage` and whose first 64 are a valid signature of them by `publicKey`.
    public static func verify(signature: String, expectedMessage: [UInt8],
                              publicKey: Curve25519.Signing.PublicKey) -> Bool {
        guard let bytes = Hex.decode(signature), bytes.count == signatureLength + challengeLength else { return false }
        let message = Array(bytes[signatureLength...])
        let messageMatches = SecretComparison.constantTimeEqual(message, expectedMessage)
        let signatureValid = publicKey.isValidSignature(bytes[..<signatureLength], for: message)
        return messageMatches && signatureValid
    }

    /// A public key from its 64 hex digits; `nil` for anything else.
    public static func publicKey(hex: String) -> Curve25519.Signing.PublicKey? {
        guard let bytes = Hex.decode(hex), bytes.count == 32 else { return nil }
        return try? Curve25519.Signing.PublicKey(rawRepresentation: bytes)
    }

    /// A private key from its 32-byte seed in hex (the form Autobahn's `CryptosignKey` and the
    /// spec's test vectors use); `nil` for anything else.
    public static func privateKey(seedHex: String) -> Curve25519.Signing.PrivateKey? {
        guard let bytes = Hex.decode(seedHex), bytes.count == 32 else { return nil }
        return try? Curve25519.Signing.PrivateKey(rawRepresentation: bytes)
    }

    /// The canonical (lower-case) spelling of a hex public key, so that a configured
    /// `authorized_keys` entry and a HELLO `pubkey` match whatever case each was written in.
    public static func canonicalKey(_ hex: String) -> String? {
        guard let bytes = Hex.decode(hex), bytes.count == 32 else { return nil }
        return Hex.encode(bytes)
    }
}
