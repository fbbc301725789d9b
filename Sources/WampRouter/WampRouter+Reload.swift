import Logging
import RouterConfig
import WampAuth

extension WampRouter {
    /// SIGHUP: re-reads the config file and applies its roles, permissions and principals to
    /// the running router. Sessions stay up (a running session keeps its role name, re-resolved
    /// against the new table; new sessions authenticate against the new principals). What a
    /// running listener cannot change (endpoints, TLS files, paths, options, realms themselves)
    /// is logged as needing a restart. A file with problems changes nothing.
    public func reload(configFile: String, logger: Logger) {
        let file: RouterFile
        do {
            file = try RouterFile.load(path: configFile)
        } catch {
            logger.error("reload refused: the config file has problems; the running configuration stays", metadata: [
                "config": "\(configFile)", "problems": "\(error.problems.map(\.description).joined(separator: "; "))",
            ])
            return
        }
        var needsRestart: [String] = []
        let running = Set(configuration.realms)
        let read = Set(file.realms.map(\.name))
        for added in read.subtracting(running).sorted() { needsRestart.append("new realm '\(added)'") }
        for removed in running.subtracting(read).sorted() { needsRestart.append("removed realm '\(removed)'") }
        var replaced = 0
        for realm in file.realms where running.contains(realm.name) {
            realms.realm(named: realm.name)?.replaceRoles(realm.roles)
            replaced += 1
        }
        let before = configuration.fileTransports
        for (index, transport) in file.transports.enumerated() {
            guard index < before.count, index < transports.count else {
                needsRestart.append("new transport \(transport.configPath)")
                continue
            }
            var old = before[index]
            old.auth = transport.auth
            if old != transport { needsRestart.append("changed listener \(transport.configPath) (endpoint, TLS files, path or options)") }
            let current = transports[index].current
            transports[index].replace(TransportContext(name: current.name, auth: transport.auth, isSecure: current.isSecure))
        }
        if file.transports.count < before.count { needsRestart.append("removed transports") }
        logger.notice("configuration reloaded: roles, permissions and principals applied", metadata: [
            "config": "\(configFile)", "realms": "\(replaced)", "transports": "\(min(file.transports.count, transports.count))",
        ])
        for change in needsRestart {
            logger.warning("reload cannot apply this to the running router; restart to apply it", metadata: ["change": "\(change)"])
        }
    }
}
