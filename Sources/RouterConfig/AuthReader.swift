import WampAuth

/// Reads a transport's `auth` into `TransportAuthConfiguration`, checking every role and realm
/// it names against the realms already read.
struct AuthReader {
    let realms: [RealmSpec]
    let context: ReadContext
    private var log: ProblemLog { context.log }

    init(realms: [RealmSpec], context: ReadContext) {
        self.realms = realms
        self.context = context
    }

    func read(_ node: ConfigNode, at path: ConfigPath) -> TransportAuthConfiguration? {
        guard var map = MapReader(node, at: path, log: log) else { return nil }
        let before = log.problems.count
        var auth = TransportAuthConfiguration()
        if let method = map.map("anonymous") { auth.anonymous = anonymous(method) }
        if let method = map.map("ticket") {
            auth.ticket = principals(method, listKey: "principals") { principal, path, defaultRole in
                ticketPrincipal(principal, at: path, defaultRole: defaultRole)
            }
        }
        if let method = map.map("wampcra") {
            auth.wampcra = principals(method, listKey: "users") { user, path, defaultRole in
                wampcraUser(user, at: path, defaultRole: defaultRole)
            }
        }
        if let method = map.map("cryptosign") {
            auth.cryptosign = principals(method, listKey: "principals", unsupported: ["trustroots": "trust roots (Ethereum/ENS certificates)"]) {
                principal, path, defaultRole in
                cryptosignPrincipal(principal, at: path, defaultRole: defaultRole)
            }
        }
        let unsupportedMethods = ["tls", "cookie", "scram", "cryptosign-proxy", "anonymous-proxy"]
        map.finish(unsupported: Dictionary(uniqueKeysWithValues: unsupportedMethods.map { ($0, "this router offers anonymous, ticket, wampcra and cryptosign") }))
        if map.keys.isEmpty {
            log.problem(path, "no authentication method: no client could join through this transport", line: map.line)
        }
        guard log.problems.count == before else { return nil }
        return auth
    }

    // MARK: Methods

    private func anonymous(_ method: MapReader) -> AnonymousAuth? {
        var method = method
        guard let type = methodType(&method) else { return nil }
        if type == "dynamic" { return dynamicAuthenticator(&method).map(AnonymousAuth.dynamic) }
        defer {
            method.finish(unsupported: [
                "authid": "the router assigns anonymous sessions a random authid",
                "realm": "an anonymous session joins the realm it asks for",
            ])
        }
        guard let role = method.string("role") else {
            if method.has("role") { return nil }
            checkImplicitAnonymousRole(at: method.path)
            return .role("anonymous")
        }
        guard checkRole(role, realm: nil, at: method.path.key("role"), line: method.lineOf("role")) else { return nil }
        return .role(role)
    }

    /// `static` principals under `listKey` (with Crossbar's `default-role` for those without a
    /// `role`) or `dynamic`.
    private func principals<Principal>(
        _ method: MapReader, listKey: String, unsupported: [String: String] = [:],
        principal read: (ConfigNode, ConfigPath, String?) -> Principal?
    ) -> PrincipalSource<Principal>? {
        var method = method
        guard let type = methodType(&method) else { return nil }
        if type == "dynamic" { return dynamicAuthenticator(&method).map(PrincipalSource.dynamic) }
        defer { method.finish(unsupported: unsupported) }
        let defaultRole = method.string("default-role")
        if let defaultRole, !checkRole(defaultRole, realm: nil, at: method.path.key("default-role"), line: method.lineOf("default-role")) {
            return nil
        }
        guard let entries = method.map(listKey, required: !unsupported.keys.contains(where: method.has)) else { return nil }
        var principals: [String: Principal] = [:]
        var valid = true
        var entriesReader = entries
        for authid in entries.keys {
            let path = entries.path.key(authid)
            guard let node = entriesReader.node(authid), let principal = read(node, path, defaultRole) else {
                valid = false
                continue
            }
            principals[authid] = principal
        }
        return valid ? .principals(principals) : nil
    }

    private func ticketPrincipal(_ node: ConfigNode, at path: ConfigPath, defaultRole: String?) -> TicketPrincipal? {
        guard var map = MapReader(node, at: path, log: log) else { return nil }
        defer { map.finish() }
        let ticket = map.string("ticket", required: true).flatMap { context.secret($0, at: path.key("ticket"), line: map.lineOf("ticket")) }
        guard let (role, realm) = roleAndRealm(&map, defaultRole: defaultRole), let ticket else { return nil }
        return TicketPrincipal(ticket: ticket, role: role, realm: realm)
    }

    /// Crossbar derives the key only when `salt`, `iterations` and `keylen` are all present and
    /// otherwise silently uses the secret as it is; here a partial set is a problem.
    private func wampcraUser(_ node: ConfigNode, at path: ConfigPath, defaultRole: String?) -> WampcraUser? {
        guard var map = MapReader(node, at: path, log: log) else { return nil }
        defer { map.finish() }
        let secret = map.string("secret", required: true).flatMap { context.secret($0, at: path.key("secret"), line: map.lineOf("secret")) }
        let salt = map.string("salt")
        let iterations = map.int("iterations", in: 1...1_000_000)
        let keylen = map.int("keylen", in: 1...256, unit: "bytes")
        let saltKeys = ["salt", "iterations", "keylen"].filter { map.has($0) }
        var saltValid = true
        if !saltKeys.isEmpty, saltKeys.count != 3 {
            let missing = ["salt", "iterations", "keylen"].filter { !map.has($0) }
            log.problem(path, "a salted user needs salt, iterations and keylen; missing \(missing.joined(separator: ", ")) (Crossbar would silently not salt)", line: map.line)
            saltValid = false
        }
        guard let (role, realm) = roleAndRealm(&map, defaultRole: defaultRole), let secret, saltValid else { return nil }
        if saltKeys.count == 3 {
            guard let salt, let iterations, let keylen else { return nil }
            return WampcraUser(secret: secret, role: role, realm: realm, salt: salt, iterations: iterations, keylen: keylen)
        }
        return WampcraUser(secret: secret, role: role, realm: realm)
    }

    private func cryptosignPrincipal(_ node: ConfigNode, at path: ConfigPath, defaultRole: String?) -> CryptosignPrincipal? {
        guard var map = MapReader(node, at: path, log: log) else { return nil }
        defer { map.finish() }
        var keys: [String]?
        if let items = map.list("authorized_keys", required: true) {
            var valid: [String] = []
            forEachItem(items, at: path.key("authorized_keys")) { item, keyPath, _ in
                guard case .string(let key) = item.value else {
                    log.problem(keyPath, "expected a string of 64 hex digits, got \(item.typeName)", line: item.line)
                    return
                }
                guard Self.isPublicKeyHex(key) else {
                    log.problem(keyPath, "an Ed25519 public key is 64 hex digits, got \(key.count) characters '\(key)'", line: item.line)
                    return
                }
                valid.append(key.lowercased())
            }
            if items.isEmpty {
                log.problem(path.key("authorized_keys"), "no keys: this principal could never authenticate", line: map.lineOf("authorized_keys"))
            } else if valid.count == items.count {
                keys = valid
            }
        }
        guard let (role, realm) = roleAndRealm(&map, defaultRole: defaultRole), let keys else { return nil }
        return CryptosignPrincipal(realm: realm, role: role, authorizedKeys: keys)
    }

    static func isPublicKeyHex(_ key: String) -> Bool {
        key.utf8.count == 64 && key.unicodeScalars.allSatisfy { $0.properties.isASCIIHexDigit }
    }

    // MARK: Shared pieces

    /// `static` or `dynamic`; Crossbar's `function` (a Python callable) is refused.
    private func methodType(_ method: inout MapReader) -> String? {
        guard let type = method.string("type", required: true) else {
            for key in method.keys { method.accept(key) }
            return nil
        }
        guard type == "static" || type == "dynamic" else {
            if type == "function" {
                log.problem(method.path.key("type"), "not supported by this router: 'function' runs Python code inside Crossbar; use dynamic", line: method.lineOf("type"))
            } else {
                log.problem(method.path.key("type"), "must be static or dynamic, got '\(type)'", line: method.lineOf("type"))
            }
            for key in method.keys { method.accept(key) }
            return nil
        }
        return type
    }

    /// Crossbar's `authenticator-realm` is optional and then means the realm the client asks to
    /// join; this router needs it named unless there is only one realm (which is then the same).
    private func dynamicAuthenticator(_ method: inout MapReader) -> DynamicAuthenticator? {
        defer { method.finish() }
        let path = method.path
        let procedure = method.string("authenticator", required: true)
        if let procedure, !URIRules.isStrictURI(procedure) {
            log.problem(path.key("authenticator"), "expected a procedure URI (lower-case letters, digits and _ between dots), got '\(procedure)'", line: method.lineOf("authenticator"))
        }
        var realm = method.string("authenticator-realm")
        if realm == nil, !method.has("authenticator-realm") {
            if realms.count == 1 {
                realm = realms[0].name
            } else {
                log.problem(path.key("authenticator-realm"), "missing: with several realms, name the realm the authenticator is registered in", line: method.lineOf("authenticator-realm"))
            }
        } else if let name = realm, !realms.contains(where: { $0.name == name }) {
            log.problem(path.key("authenticator-realm"), "unknown realm '\(name)'", line: method.lineOf("authenticator-realm"))
            realm = nil
        }
        let role = method.string("authenticator-role")
        if let role, let realm, !checkRole(role, realm: realm, at: path.key("authenticator-role"), line: method.lineOf("authenticator-role")) {
            return nil
        }
        guard let procedure, URIRules.isStrictURI(procedure), let realm else { return nil }
        return DynamicAuthenticator(procedure: procedure, realm: realm, role: role)
    }

    /// A principal's `role` (or the method's `default-role`) and optional `realm`, both checked.
    private func roleAndRealm(_ map: inout MapReader, defaultRole: String?) -> (String, String?)? {
        let realm = map.string("realm")
        var realmValid = !map.has("realm") || realm != nil
        if let realm, !realms.contains(where: { $0.name == realm }) {
            log.problem(map.path.key("realm"), "unknown realm '\(realm)'", line: map.lineOf("realm"))
            realmValid = false
        }
        let explicitRole = map.string("role")
        guard let role = explicitRole ?? (map.has("role") ? nil : defaultRole) else {
            if !map.has("role") {
                log.problem(map.path.key("role"), "missing, and the method has no default-role (Crossbar would refuse every login: no authrole)", line: map.lineOf("role"))
            }
            return nil
        }
        guard realmValid else { return nil }
        let rolePath = explicitRole != nil ? map.path.key("role") : map.path
        guard checkRole(role, realm: realm, at: rolePath, line: map.lineOf("role")) else { return nil }
        return (role, realm)
    }

    /// The role must be defined in `realm`, or with no realm in at least one realm.
    private func checkRole(_ role: String, realm: String?, at path: ConfigPath, line: Int?) -> Bool {
        if let realm {
            guard let spec = realms.first(where: { $0.name == realm }) else { return false }
            if spec.roles[role] != nil { return true }
            log.problem(path, "unknown role '\(role)' in realm '\(realm)'\(Self.trustedHint(role))", line: line)
            return false
        }
        if realms.contains(where: { $0.roles[role] != nil }) { return true }
        log.problem(path, "unknown role '\(role)': no realm defines it\(Self.trustedHint(role))", line: line)
        return false
    }

    private static func trustedHint(_ role: String) -> String {
        role == "trusted" ? " (Crossbar's built-in 'trusted' role does not exist here: define it)" : ""
    }

    /// Crossbar lets an anonymous session whose role no realm defines join, with no permission.
    func checkImplicitAnonymousRole(at path: ConfigPath) {
        guard !realms.isEmpty, !realms.contains(where: { $0.roles["anonymous"] != nil }) else { return }
        log.notice(path, "anonymous sessions get role 'anonymous', which no realm defines: they can join but are allowed nothing")
    }
}
