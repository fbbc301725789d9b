import Foundation

/// What a reload (SIGHUP) of the config file gives.
public enum ConfigReload: Sendable {
    /// The new file is wrong: keep running with the current one and log these.
    case refused(ConfigProblems)
    /// The new file is good. Its realms, roles, permissions and principals can be applied at once;
    /// `restartNeeded` names what differs and only takes effect after a restart (listeners and
    /// their TLS files, serializers, WebSocket options), one log line each.
    case loaded(RouterFile, restartNeeded: [String])
}

extension RouterFile {
    /// Start-up and SIGHUP share `load(path:)`; this is the SIGHUP side: read the file again and
    /// compare it with the one running.
    public static func reload(path: String, replacing current: RouterFile,
                              environment: [String: String] = ProcessInfo.processInfo.environment) -> ConfigReload {
        do {
            let new = try load(path: path, environment: environment)
            return .loaded(new, restartNeeded: current.restartNeeded(toApply: new))
        } catch {
            return .refused(error)
        }
    }

    /// The differences from `self` to `new` that a running router cannot apply.
    public func restartNeeded(toApply new: RouterFile) -> [String] {
        var lines: [String] = []
        let old = transports
        for index in 0..<max(old.count, new.transports.count) {
            guard index < old.count else {
                lines.append("\(new.transports[index].configPath): new transport, listens after a restart")
                continue
            }
            guard index < new.transports.count else {
                lines.append("\(old[index].configPath): removed transport, stops listening after a restart")
                continue
            }
            let (before, after) = (old[index], new.transports[index])
            var parts: [String] = []
            if before.kind != after.kind { parts.append("type or path") }
            if before.endpoint != after.endpoint { parts.append("endpoint") }
            if before.serializers != after.serializers { parts.append("serializers") }
            if before.options != after.options { parts.append("options") }
            if before.webServices != after.webServices { parts.append("HTTP bridge or admin paths") }
            if !parts.isEmpty {
                lines.append("\(after.configPath): \(parts.joined(separator: ", ")) changed; applied after a restart")
            }
        }
        for transport in new.transports where transport.endpoint.tls != nil {
            lines.append("\(transport.configPath).endpoint.tls: key and certificate files are read at start-up; a renewed certificate needs a restart")
        }
        return lines
    }
}
