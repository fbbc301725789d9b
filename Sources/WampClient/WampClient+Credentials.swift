import WampAuth
import WampMessages

extension WampClient {
    /// How the client authenticates: an optional authid and the methods it offers, in order of
    /// preference, each with what it needs to answer that method's CHALLENGE.
    public struct Credentials: Sendable, CustomStringConvertible {
        public enum Method: Sendable {
            case anonymous
            case ticket(String)
            /// The WAMP-CRA secret (the password, for salted users: the client derives the key
            /// from the CHALLENGE's salt, iterations and keylen).
            case wampcra(secret: String)
            /// The Ed25519 private key's 32-byte seed; the public key goes into `authextra.pubkey`.
            case cryptosign(seed: [UInt8])

            var name: AuthMethod {
                switch self {
                case .anonymous: .anonymous
                case .ticket: .ticket
                case .wampcra: .wampcra
                case .cryptosign: .cryptosign
                }
            }
        }

        public var authid: String?
        public var authrole: String?
        public var methods: [Method]
        /// Sent in HELLO.Details.authextra, besides the cryptosign `pubkey`.
        public var authextra: [String: String]

        public init(authid: String? = nil, authrole: String? = nil, methods: [Method], authextra: [String: String] = [:]) {
            self.authid = authid
            self.authrole = authrole
            self.methods = methods
            self.authextra = authextra
        }

        public static func ticket(authid: String, ticket: String) -> Credentials {
            Credentials(authid: authid, methods: [.ticket(ticket)])
        }

        public static func wampcra(authid: String, secret: String) -> Credentials {
            Credentials(authid: authid, methods: [.wampcra(secret: secret)])
        }

        /// Cryptosign with the key's seed as 64 hex digits; `nil` if it is not that. Without
        /// an authid the router finds the principal by the public key.
        public static func cryptosign(authid: String? = nil, seedHex: String) -> Credentials? {
            guard let seed = Hex.decode(seedHex), seed.count == 32 else { return nil }
            return Credentials(authid: authid, methods: [.cryptosign(seed: seed)])
        }

        /// The public key (hex) of the first cryptosign method, if any.
        public var cryptosignPublicKey: String? {
            for case .cryptosign(let seed) in methods {
                guard let key = Cryptosign.privateKey(seedHex: Hex.encode(seed)) else { return nil }
                return Hex.encode(key.publicKey.rawRepresentation)
            }
            return nil
        }

        /// Adds `authmethods`, `authid`, `authrole` and `authextra` to HELLO.Details.
        public func addHelloDetails(to details: JSONValue) {
            let names = JSONValue.makeArray()
            for method in methods { names.append(string: method.name.rawValue) }
            details.set("authmethods", names)
            if let authid { details.set("authid", string: authid) }
            if let authrole { details.set("authrole", string: authrole) }
            let extra = JSONValue.makeObject()
            for (key, value) in authextra.sorted(by: { $0.key < $1.key }) { extra.set(key, string: value) }
            if let pubkey = cryptosignPublicKey { extra.set("pubkey", string: pubkey) }
            if extra.count > 0 { details.set("authextra", extra) }
        }

        /// Never a ticket, secret or key.
        public var description: String {
            "Credentials(authid: \(authid ?? "-"), methods: \(methods.map(\.name.rawValue)))"
        }
    }
}
