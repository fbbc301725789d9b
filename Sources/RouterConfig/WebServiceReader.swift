/// Reads one non-WebSocket path of a `web` transport: Crossbar's HTTP bridge services
/// (`publisher`, `caller`) and this router's admin services (`metrics`, `health`, `status`).
///
/// The bridge keys are Crossbar's (`realm`, `role`, `options.key`, ...); the admin keys
/// (`token`, `basic`, `loopback_only`) are this router's own, since Crossbar has no such paths.
struct WebServiceReader {
    let realms: [RealmSpec]
    let context: ReadContext
    private var log: ProblemLog { context.log }

    /// The path types Crossbar has that this router does not serve.
    static let crossbarOnlyTypes: Set<String> = [
        "static", "wsgi", "resource", "redirect", "reverseproxy", "websocket-reverseproxy", "json", "cgi", "longpoll",
        "subscriber", "callee", "webhook", "upload", "nodeinfo", "schemadoc", "path", "archive", "fileupload",
    ]
    static let serviceTypes: Set<String> = ["publisher", "caller", "metrics", "health", "status"]

    /// `type` is already read from `map`; `webPath` starts with `/`.
    func read(_ map: inout MapReader, type: String, webPath: String, at path: ConfigPath) -> WebServiceSpec? {
        let before = log.problems.count
        let kind: WebServiceSpec.Kind?
        switch type {
        case "publisher":
            kind = bridge(&map, at: path, timeoutKey: false).map(WebServiceSpec.Kind.publisher)
        case "caller":
            kind = bridge(&map, at: path, timeoutKey: true).map(WebServiceSpec.Kind.caller)
        case "metrics":
            kind = admin(&map, at: path).map(WebServiceSpec.Kind.metrics)
        case "health":
            kind = admin(&map, at: path).map(WebServiceSpec.Kind.health)
        case "status":
            kind = admin(&map, at: path).map(WebServiceSpec.Kind.status)
        default:
            kind = nil
        }
        map.finish()
        guard log.problems.count == before, let kind else { return nil }
        return WebServiceSpec(path: webPath, kind: kind, configPath: path.description)
    }

    // MARK: Publisher and caller

    private func bridge(_ map: inout MapReader, at path: ConfigPath, timeoutKey: Bool) -> HTTPBridgeOptions? {
        _ = map.string("id")
        let realm = map.string("realm", required: true)
        let role = map.string("role", required: true)
        var realmSpec: RealmSpec?
        if let realm {
            realmSpec = realms.first { $0.name == realm }
            if realmSpec == nil {
                log.problem(path.key("realm"), "unknown realm '\(realm)' (the file defines \(realms.map { "'\($0.name)'" }.joined(separator: ", ")))",
                            line: map.lineOf("realm"))
            }
        }
        if let role, let realmSpec, realmSpec.roles[role] == nil {
            log.problem(path.key("role"), "unknown role '\(role)' in realm '\(realmSpec.name)': the bridge session would be allowed nothing",
                        line: map.lineOf("role"))
        }
        var options = HTTPBridgeOptions(realm: realm ?? "", role: role ?? "")
        if var reader = map.map("options") {
            readBridgeOptions(&reader, into: &options, timeoutKey: timeoutKey)
        }
        guard let role, let realmSpec, realmSpec.roles[role] != nil else { return nil }
        return options
    }

    private func readBridgeOptions(_ map: inout MapReader, into options: inout HTTPBridgeOptions, timeoutKey: Bool) {
        let path = map.path
        let key = map.string("key")
        // Crossbar's `${NAME}` form reads the secret from the environment.
        let secret = map.string("secret").flatMap { context.secret($0, at: path.key("secret"), line: map.lineOf("secret")) }
        switch (key, secret) {
        case (let key?, let secret?):
            if key.isEmpty { log.problem(path.key("key"), "empty: a signing key needs at least one character", line: map.lineOf("key")) }
            if secret.isEmpty { log.problem(path.key("secret"), "empty: a signing secret needs at least one character", line: map.lineOf("secret")) }
            options.signing = .init(key: key, secret: secret)
        case (.some, nil):
            if !map.has("secret") { log.problem(path.key("secret"), "missing: signed requests need both key and secret", line: map.line) }
        case (nil, .some):
            if !map.has("key") { log.problem(path.key("key"), "missing: signed requests need both key and secret", line: map.line) }
        case (nil, nil):
            break
        }
        if let limit = map.int("post_body_limit", in: 1...(64 << 20), unit: "bytes") {
            options.postBodyLimit = limit
        }
        if let limit = map.int("timestamp_delta_limit", in: 1...86_400, unit: "seconds") {
            options.timestampDeltaLimit = limit
        }
        if let limit = map.int("replay_memory_limit", in: 1...(1 << 24), unit: "signatures") {
            options.replayMemoryLimit = limit
        }
        if let networks = map.stringList("require_ip") {
            for (index, entry) in networks.enumerated() where IPNetwork(entry) == nil {
                log.problem(path.key("require_ip").index(index),
                            "expected an IPv4 or IPv6 address or network in CIDR notation (10.0.0.0/8, ::1), got '\(entry)'",
                            line: map.lineOf("require_ip"))
            }
            if networks.isEmpty {
                log.problem(path.key("require_ip"), "empty: no client could ever be allowed (leave require_ip out to allow any)",
                            line: map.lineOf("require_ip"))
            }
            options.requireIP = networks
        }
        if let requireTLS = map.bool("require_tls") {
            options.requireTLS = requireTLS
        }
        if map.bool("debug") == true {
            log.notice(path.key("debug"), "has no effect here: use --log-level debug")
        }
        if timeoutKey, let milliseconds = map.int("call_timeout", in: 1...3_600_000, unit: "milliseconds") {
            options.callTimeoutSeconds = Double(milliseconds) / 1000
        }
        map.finish(unsupported: ["github_secret": "GitHub webhook signatures (webhook paths are not served)"])
    }

    // MARK: Admin paths

    private func admin(_ map: inout MapReader, at path: ConfigPath) -> AdminAccess? {
        _ = map.string("id")
        var access = AdminAccess()
        if let token = map.string("token") {
            if token.isEmpty { log.problem(path.key("token"), "empty: a token needs at least one character", line: map.lineOf("token")) }
            access.token = token
        }
        if var basic = map.map("basic") {
            let user = basic.string("user", required: true)
            let password = basic.string("password", required: true)
            if let user, user.isEmpty || user.contains(":") {
                log.problem(basic.path.key("user"), "a basic-auth user is not empty and has no ':'", line: basic.lineOf("user"))
            }
            if let password, password.isEmpty {
                log.problem(basic.path.key("password"), "empty: a password needs at least one character", line: basic.lineOf("password"))
            }
            basic.finish()
            access.basicUser = user
            access.basicPassword = password
        }
        if let loopbackOnly = map.bool("loopback_only") {
            access.loopbackOnly = loopbackOnly
        }
        if let limit = map.int("post_body_limit", in: 1...(1 << 20), unit: "bytes") {
            access.postBodyLimit = limit
        }
        return access
    }
}
