import WampMessages

/// Who a session is once authentication succeeded: what WELCOME.Details, the meta API and
/// caller/publisher disclosure show, and the realm the session joins (a principal's `realm` or
/// an authenticator's answer may place it in another realm than the HELLO named).
public struct AuthIdentity: Sendable, CustomStringConvertible {
    public var realm: String
    public var authid: String
    public var authrole: String
    public var authmethod: AuthMethod
    /// `static` (from the config) or `dynamic` (from an authenticator), as Crossbar says.
    public var authprovider: String
    /// WELCOME.Details.authextra: the HELLO's authextra for anonymous and static ticket (as
    /// Crossbar forwards it), an authenticator's `extra`, or nothing.
    public var authextra: JSONValue?

    public init(realm: String, authid: String, authrole: String, authmethod: AuthMethod, authprovider: String,
                authextra: JSONValue? = nil) {
        self.realm = realm
        self.authid = authid
        self.authrole = authrole
        self.authmethod = authmethod
        self.authprovider = authprovider
        self.authextra = authextra
    }

    /// Writes `authid`, `authrole`, `authmethod`, `authprovider` and (when present) `authextra`
    /// into WELCOME.Details.
    public func addWelcomeDetails(to details: JSONValue) {
        details.set("authid", string: authid)
        details.set("authrole", string: authrole)
        details.set("authmethod", string: authmethod.rawValue)
        details.set("authprovider", string: authprovider)
        if let authextra { details.set("authextra", authextra) }
    }

    public var description: String {
        "\(authid) as \(authrole) on \(realm) by \(authmethod.rawValue) (\(authprovider))"
    }
}
