import Realm

/// Reads the router worker's `realms`.
enum RealmReader {
    static func read(_ items: [ConfigNode], at path: ConfigPath, log: ProblemLog) -> [RealmSpec] {
        var realms: [RealmSpec] = []
        var seen: [String: ConfigPath] = [:]
        forEachItem(items, at: path) { item, itemPath, _ in
            guard let realm = readRealm(item, at: itemPath, log: log) else { return }
            if let first = seen[realm.name] {
                log.problem(itemPath.key("name"), "duplicate realm '\(realm.name)' (also \(first))", line: item.line)
                return
            }
            seen[realm.name] = itemPath
            realms.append(realm)
        }
        return realms
    }

    /// Crossbar's realm name rule: a letter, then 2 to 254 letters, digits or `_ - @ .`.
    static func isValidRealmName(_ name: String) -> Bool {
        let scalars = Array(name.unicodeScalars)
        guard (3...255).contains(scalars.count), scalars[0].isASCIILetter else { return false }
        return scalars.dropFirst().allSatisfy { $0.isASCIILetter || ("0"..."9").contains($0) || "_-@.".unicodeScalars.contains($0) }
    }

    private static func readRealm(_ node: ConfigNode, at path: ConfigPath, log: ProblemLog) -> RealmSpec? {
        guard var map = MapReader(node, at: path, log: log) else { return nil }
        defer {
            map.finish(unsupported: [
                "store": "event history and retention are set with --event-history and the --max-history-* flags",
                "inventory": "type inventories and payload validation",
            ])
        }
        _ = map.string("id")
        let name = map.string("name", required: true)
        if let name, !isValidRealmName(name) {
            log.problem(path.key("name"), "a realm name is a letter then 2 to 254 letters, digits or _-@. (Crossbar's rule), got '\(name)'", line: map.lineOf("name"))
        }
        var roles: [String: RoleDefinition] = [:]
        var roleNames: [String] = []
        if let items = map.list("roles") {
            var seen: [String: ConfigPath] = [:]
            forEachItem(items, at: path.key("roles")) { item, rolePath, _ in
                guard let (roleName, definition) = readRole(item, at: rolePath, log: log) else { return }
                if let first = seen[roleName] {
                    log.problem(rolePath.key("name"), "duplicate role '\(roleName)' in this realm (also \(first))", line: item.line)
                    return
                }
                seen[roleName] = rolePath
                roles[roleName] = definition
                roleNames.append(roleName)
            }
        }
        let uriCheck = readOptions(&map, at: path.key("options"), log: log)
        guard let name, isValidRealmName(name) else { return nil }
        return RealmSpec(name: name, roles: roles, roleNames: roleNames, uriCheck: uriCheck)
    }

    private static func readOptions(_ map: inout MapReader, at path: ConfigPath, log: ProblemLog) -> RealmSpec.URICheck? {
        guard var options = map.map("options") else { return nil }
        defer { options.finish() }
        if options.bool("enable_meta_api") == false {
            log.problem(path.key("enable_meta_api"), "not supported by this router: the meta API is always on (restrict it with permissions on wamp.*)", line: options.lineOf("enable_meta_api"))
        }
        if options.bool("bridge_meta_api") == true {
            log.problem(path.key("bridge_meta_api"), "not supported by this router: there is no node management router to bridge to", line: options.lineOf("bridge_meta_api"))
        }
        if options.int("event_dispatching_chunk_size", in: 1...Int.max) != nil {
            log.notice(path.key("event_dispatching_chunk_size"), "has no effect here: events are sent in one pass", line: options.lineOf("event_dispatching_chunk_size"))
        }
        guard let check = options.string("uri_check") else { return nil }
        guard let uriCheck = RealmSpec.URICheck(rawValue: check) else {
            log.problem(path.key("uri_check"), "must be strict or loose, got '\(check)'", line: options.lineOf("uri_check"))
            return nil
        }
        return uriCheck
    }

    /// A role is exactly one of: `permissions` (static), `authorizer` (a procedure), or Crossbar's
    /// `allow-by-default` (true: everything allowed; false: nothing).
    private static func readRole(_ node: ConfigNode, at path: ConfigPath, log: ProblemLog) -> (String, RoleDefinition)? {
        guard var map = MapReader(node, at: path, log: log) else { return nil }
        defer { map.finish() }
        let name = map.string("name", required: true)
        if let name, name.isEmpty {
            log.problem(path.key("name"), "a role name must not be empty", line: map.lineOf("name"))
        }
        let forms = ["permissions", "authorizer", "allow-by-default"].filter { map.has($0) }
        guard forms.count == 1 else {
            if forms.isEmpty {
                log.problem(path, "a role needs 'permissions' or 'authorizer' (Crossbar would deny such a role everything)", line: map.line)
            } else {
                log.problem(path, "a role has one of 'permissions', 'authorizer' or 'allow-by-default', got \(forms.map { "'\($0)'" }.joined(separator: " and "))", line: map.line)
            }
            for key in forms { _ = map.node(key) }
            guard let name, !name.isEmpty else { return nil }
            return (name, .permissions([]))
        }
        var definition: RoleDefinition?
        switch forms[0] {
        case "permissions":
            if let items = map.list("permissions") {
                var permissions: [Permission] = []
                var valid = true
                forEachItem(items, at: path.key("permissions")) { item, itemPath, _ in
                    if let permission = PermissionReader.read(item, at: itemPath, log: log) {
                        permissions.append(permission)
                    } else {
                        valid = false
                    }
                }
                if valid { definition = .permissions(permissions) }
            }
        case "authorizer":
            if let procedure = map.string("authorizer") {
                if URIRules.isStrictURI(procedure) {
                    definition = .authorizer(procedure: procedure)
                } else {
                    log.problem(path.key("authorizer"), "expected a procedure URI (lower-case letters, digits and _ between dots), got '\(procedure)'", line: map.lineOf("authorizer"))
                }
            }
        default:
            if let allowAll = map.bool("allow-by-default") {
                definition = .permissions(allowAll ? [Permission(uri: "", match: .prefix, allow: Set(WampAction.allCases))] : [])
            }
        }
        guard let name, !name.isEmpty else { return nil }
        // A role whose definition has problems still exists by name, so that principals naming
        // it do not add "unknown role" problems; the file is refused anyway.
        return (name, definition ?? .permissions([]))
    }
}

/// Crossbar's URI checks for procedures named in the config (authorizers, authenticators).
enum URIRules {
    /// Non-empty components of lower-case letters, digits and `_`, separated by dots.
    static func isStrictURI(_ uri: String) -> Bool {
        let components = uri.split(separator: ".", omittingEmptySubsequences: false)
        return !uri.isEmpty && components.allSatisfy { component in
            !component.isEmpty && component.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
        }
    }
}
