import Logging
import Realm
import RouterConfig
import WampAuth

extension WampRouter {
    /// SIGHUP: re-reads the config file and applies its roles, permissions and principals to
    /// the running router. Sessions stay up (a running session keeps its role name, re-resolved
    /// against the new table; new sessions authenticate against the new principals). What a
    /// running listener cannot change (endpoints, TLS files, paths, options, which realms exist)
    /// is logged as needing a restart. A file with problems changes nothing.
    public func reload(configFile: String, logger: Logger) {
        guard let running = configuration.file else { return }
        let file: RouterFile
        var needsRestart: [String]
        switch RouterFile.reload(path: configFile, replacing: running) {
        case .refused(let problems):
            logger.error("reload refused: the config file has problems; the running configuration stays", metadata: [
                "config": "\(configFile)", "problems": "\(problems.problems.map(\.description).joined(separator: "; "))",
            ])
            return
        case .loaded(let loaded, let restartNeeded):
            file = loaded
            needsRestart = restartNeeded
        }
        let served = Set(configuration.realms)
        let read = Set(file.realms.map(\.name))
        for added in read.subtracting(served).sorted() { needsRestart.append("realm '\(added)' is new: served after a restart") }
        for removed in served.subtracting(read).sorted() {
            needsRestart.append("realm '\(removed)' is gone from the file: still served, with its old roles, until a restart")
        }
        var rolesByRealm: [String: [String: RoleDefinition]] = [:]
        for realm in file.realms where served.contains(realm.name) { rolesByRealm[realm.name] = realm.roles }
        _ = realms.replaceRoles(byRealm: rolesByRealm)
        for (index, transport) in file.transports.enumerated() where index < transports.count {
            transports[index].replace(transport.auth)
        }
        logger.notice("configuration reloaded: roles, permissions and principals applied; running sessions stay", metadata: [
            "config": "\(configFile)", "realms": "\(rolesByRealm.count)",
            "transports": "\(min(file.transports.count, transports.count))",
        ])
        for change in needsRestart {
            logger.warning("reload cannot apply this to the running router", metadata: ["change": "\(change)"])
        }
    }
}
