/// The authentication methods this router implements (HELLO.Details.authmethods values).
public enum AuthMethod: String, Sendable, Hashable, CaseIterable {
    case anonymous, ticket, wampcra, cryptosign
}

/// A procedure a trusted component registered in `realm` that the router calls to authenticate
/// a session (Crossbar's `{"type": "dynamic", "authenticator": ..., "authenticator-realm": ...}`).
public struct DynamicAuthenticator: Sendable, Hashable {
    public var procedure: String
    public var realm: String
    /// The role the router's own call is made with (Crossbar's `authenticator-role`); nil: trusted.
    public var role: String?

    public init(procedure: String, realm: String, role: String? = nil) {
        self.procedure = procedure
        self.realm = realm
        self.role = role
    }
}

/// Where a method finds its principals: the config file, or a dynamic authenticator.
public enum PrincipalSource<Principal: Sendable & Hashable>: Sendable, Hashable {
    case principals([String: Principal])
    case dynamic(DynamicAuthenticator)
}

/// `anonymous`: the router assigns the authid; the role is fixed (or an authenticator's answer).
public enum AnonymousAuth: Sendable, Hashable {
    case role(String)
    case dynamic(DynamicAuthenticator)
}

/// A `ticket` principal (Crossbar's `principals` {authid: {ticket, role}}).
public struct TicketPrincipal: Sendable, Hashable, CustomStringConvertible {
    public var ticket: String
    public var role: String
    public var realm: String?

    public init(ticket: String, role: String, realm: String? = nil) {
        self.ticket = ticket
        self.role = role
        self.realm = realm
    }

    /// Never the ticket: descriptions end up in logs.
    public var description: String { "TicketPrincipal(role: \(role), realm: \(realm ?? "-"), ticket: <redacted>)" }
}

/// A `wampcra` user. With `salt`, `secret` is the password and the key is derived from it with
/// PBKDF2-HMAC-SHA256 (`iterations`, `keylen`), as the spec and Crossbar do.
public struct WampcraUser: Sendable, Hashable, CustomStringConvertible {
    public var secret: String
    public var role: String
    public var realm: String?
    public var salt: String?
    public var iterations: Int
    public var keylen: Int

    public init(secret: String, role: String, realm: String? = nil, salt: String? = nil, iterations: Int = 1000,
                keylen: Int = 32) {
        self.secret = secret
        self.role = role
        self.realm = realm
        self.salt = salt
        self.iterations = iterations
        self.keylen = keylen
    }

    /// Never the secret: descriptions end up in logs.
    public var description: String {
        "WampcraUser(role: \(role), realm: \(realm ?? "-"), salted: \(salt != nil), secret: <redacted>)"
    }
}

/// A `cryptosign` principal: the Ed25519 public keys (64 hex digits each) it may sign with.
public struct CryptosignPrincipal: Sendable, Hashable {
    public var realm: String?
    public var role: String
    public var authorizedKeys: [String]

    public init(realm: String? = nil, role: String, authorizedKeys: [String]) {
        self.realm = realm
        self.role = role
        self.authorizedKeys = authorizedKeys
    }
}

/// A transport's `auth` dictionary: the methods it offers and where each finds its principals.
public struct TransportAuthConfiguration: Sendable, Hashable {
    public var anonymous: AnonymousAuth?
    public var ticket: PrincipalSource<TicketPrincipal>?
    public var wampcra: PrincipalSource<WampcraUser>?
    public var cryptosign: PrincipalSource<CryptosignPrincipal>?

    public init(anonymous: AnonymousAuth? = nil, ticket: PrincipalSource<TicketPrincipal>? = nil,
                wampcra: PrincipalSource<WampcraUser>? = nil, cryptosign: PrincipalSource<CryptosignPrincipal>? = nil) {
        self.anonymous = anonymous
        self.ticket = ticket
        self.wampcra = wampcra
        self.cryptosign = cryptosign
    }

    /// The methods configured on this transport.
    public var methods: Set<AuthMethod> {
        var methods: Set<AuthMethod> = []
        if anonymous != nil { methods.insert(.anonymous) }
        if ticket != nil { methods.insert(.ticket) }
        if wampcra != nil { methods.insert(.wampcra) }
        if cryptosign != nil { methods.insert(.cryptosign) }
        return methods
    }

    /// A transport without an `auth` key (and the embedded development default): anonymous only,
    /// role `anonymous`, as Crossbar does.
    public static let anonymousOnly = TransportAuthConfiguration(anonymous: .role("anonymous"))
}
