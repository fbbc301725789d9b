import Crypto
import _CryptoExtras
import WampAuth
import WampMessages

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The fixed transport configurations, principals and "random" sources of `FuzzAuthentication`.
/// `fuzz/seeds.py` knows the same values (and the challenges they lead to) to write valid seeds.
enum AuthFixture {
    static let session: WampID = 1_234_567
    static let clock = AuthClock { 1_700_000_000_000 }
    /// The same bytes on every draw: byte i is (i * 131 + 17) mod 256.
    static let random = AuthRandom { count in (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 17) } }
    static let binding = ChannelBinding(type: "tls-exporter", data: (0..<32).map { UInt8(0xA0 + $0) })
    static let refusalURI = "com.example.refused"
    static let authenticator = DynamicAuthenticator(procedure: "com.example.authenticate", realm: "auth")
    /// `FUZZ_TRACE=1 .build-fuzz/release/FuzzAuthentication FILE` prints each action of the flow.
    static let tracing = getenv("FUZZ_TRACE").map { String(cString: $0) == "1" } ?? false

    /// Realms `realm1` and `realm2` exist, with roles anonymous, user, frontend and backend.
    static let placement: AuthenticationFlow.Placement = { realm, role in
        guard realm == "realm1" || realm == "realm2" else { return .noSuchRealm }
        return ["anonymous", "user", "frontend", "backend"].contains(role) ? .allowed : .noSuchRole
    }

    static let ticketPrincipals: [String: TicketPrincipal] = [
        "alice": TicketPrincipal(ticket: "tkt-alice-7Q", role: "user"),
        "bob": TicketPrincipal(ticket: "tkt-bob-3Z", role: "frontend", realm: "realm2"),
        "carol": TicketPrincipal(ticket: "tkt-carol-9K", role: "nosuchrole"),
    ]
    static let tickets: [String: String] = ticketPrincipals.mapValues(\.ticket)

    /// Salted users use one or two PBKDF2 iterations, so that an execution stays cheap.
    static let wampcraUsers: [String: WampcraUser] = [
        "joe": WampcraUser(secret: "cra-joe-S3", role: "frontend"),
        "peter": WampcraUser(secret: "cra-peter-P1", role: "user", salt: "salt123", iterations: 2, keylen: 32),
        "ann": WampcraUser(secret: "cra-ann-A5", role: "backend", realm: "realm2", salt: "pepper", iterations: 1, keylen: 16),
    ]

    /// RFC 8032's test keys 1 and 2 (seeds; the public keys are derived).
    static let keySeeds = [
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
    ]
    static let publicKeys: [[UInt8]] = keySeeds.map {
        Array(try! Curve25519.Signing.PrivateKey(rawRepresentation: hexBytes($0)!).publicKey.rawRepresentation)
    }
    /// client1 holds key 1 (configured in lower case), client2 key 2 (upper case) in realm2.
    static let cryptosignPrincipals: [String: (realm: String?, role: String, keys: [[UInt8]])] = [
        "client1": (nil, "user", [publicKeys[0]]),
        "client2": ("realm2", "backend", [publicKeys[1]]),
    ]

    static let staticAuth = TransportAuthConfiguration(
        anonymous: .role("anonymous"),
        ticket: .principals(ticketPrincipals),
        wampcra: .principals(wampcraUsers),
        cryptosign: .principals([
            "client1": CryptosignPrincipal(role: "user", authorizedKeys: [hex(publicKeys[0])]),
            "client2": CryptosignPrincipal(realm: "realm2", role: "backend", authorizedKeys: [hex(publicKeys[1]).uppercased()]),
        ]))

    static let dynamicAuth = TransportAuthConfiguration(
        anonymous: .dynamic(authenticator), ticket: .dynamic(authenticator), wampcra: .dynamic(authenticator),
        cryptosign: .dynamic(authenticator))

    static let secrets: [String] = ticketPrincipals.values.map(\.ticket) + wampcraUsers.values.map(\.secret)

    /// Whether the flow can handle `answer` without a PBKDF2 run of more than 64 iterations (a
    /// salt without `iterations` means 1000). A trusted authenticator chooses these; a fuzzer
    /// that found 10 million would only measure PBKDF2.
    static func isCheap(_ answer: JSONValue) -> Bool {
        guard answer.isObject, answer.string("salt") != nil else { return true }
        guard let iterations = answer.value("iterations"), !iterations.isNull else { return false }
        guard let count = iterations.integerValue else { return true }  // refused as malformed
        return !(65...10_000_000).contains(count)
    }

    /// WAMP-CRA as the spec and Autobahn compute it, written here independently of `WampCRA`:
    /// base64(HMAC-SHA256(key, challenge)), the key being the secret or, salted, the base64 text
    /// of PBKDF2-HMAC-SHA256(secret, salt, iterations, keylen). `nil` for bounds the router refuses.
    static func wampcraSignature(challenge: String, secret: String, salting: WampCRA.Salting?) -> String? {
        var key = Array(secret.utf8)
        if let salting {
            guard (1...10_000_000).contains(salting.iterations), (1...1_024).contains(salting.keylen),
                let derived = try? KDF.Insecure.PBKDF2.deriveKey(
                    from: key, salt: Array(salting.salt.utf8), using: .sha256, outputByteCount: salting.keylen,
                    unsafeUncheckedRounds: salting.iterations)
            else { return nil }
            key = Array(base64(derived.withUnsafeBytes { Array($0) }).utf8)
        }
        let code = HMAC<SHA256>.authenticationCode(for: Array(challenge.utf8), using: SymmetricKey(data: key))
        return base64(Array(code))
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef")
        return String(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] })
    }

    static func base64(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        var text = ""
        for start in stride(from: 0, to: bytes.count, by: 3) {
            let chunk = bytes[start..<min(start + 3, bytes.count)]
            let value = chunk.enumerated().reduce(0) { $0 | Int($1.element) << (16 - 8 * $1.offset) }
            for index in 0..<4 {
                text.append(index <= chunk.count ? alphabet[value >> (18 - 6 * index) & 63] : "=")
            }
        }
        return text
    }
}
