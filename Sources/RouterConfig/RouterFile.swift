import Foundation

/// A Crossbar.io node config (`config.json` or YAML) read for this router: its one router
/// worker's realms and transports, checked as a whole.
public struct RouterFile: Sendable, Hashable {
    public var realms: [RealmSpec]
    public var transports: [TransportSpec]
    /// The config file's folder; relative paths in the file were resolved against it.
    public var directory: String
    /// Settings accepted but without effect here (or read differently from Crossbar), each with
    /// its path: to be logged at start-up and printed by `check-config`.
    public var notices: [ConfigProblem]
    /// The router worker's `cluster` section, if any.
    public var cluster: ClusterSpec?

    public init(realms: [RealmSpec], transports: [TransportSpec], directory: String, notices: [ConfigProblem] = [],
                cluster: ClusterSpec? = nil) {
        self.cluster = cluster
        self.realms = realms
        self.transports = transports
        self.directory = directory
        self.notices = notices
    }

    /// Reads and checks the file at `path`: JSON for `.json`, YAML for `.yaml`/`.yml`, otherwise
    /// JSON and then YAML. Throws every problem found, not only the first.
    public static func load(path: String, environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(ConfigProblems) -> RouterFile {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigProblems([ConfigProblem(path: "", message: "cannot read \(path): \(error.localizedDescription)")])
        }
        let directory = ((path as NSString).expandingTildeInPath as NSString).deletingLastPathComponent
        let absolute = directory.hasPrefix("/") ? directory
            : (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(directory)
        return try parse(text, syntax: ConfigSyntax(path: path), directory: (absolute as NSString).standardizingPath,
                         environment: environment)
    }

    /// Reads config text; `directory` is what relative file names resolve against.
    public static func parse(_ text: String, json: Bool? = nil, directory: String,
                             environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigProblems) -> RouterFile {
        try parse(text, syntax: json.map { $0 ? .json : .yaml }, directory: directory, environment: environment)
    }

    static func parse(_ text: String, syntax: ConfigSyntax?, directory: String,
                      environment: [String: String]) throws(ConfigProblems) -> RouterFile {
        let root: ConfigNode
        switch ConfigSyntax.parse(text, as: syntax) {
        case .success(let node): root = node
        case .failure(let problem): throw ConfigProblems([problem])
        }
        let context = ReadContext(directory: directory, environment: environment, log: ProblemLog())
        let file = RouterFileReader(context: context).read(root)
        guard context.log.problems.isEmpty, let file else {
            throw ConfigProblems(context.log.problems)
        }
        return file
    }
}

/// The top level, the controller and the workers.
struct RouterFileReader {
    let context: ReadContext
    private var log: ProblemLog { context.log }

    func read(_ root: ConfigNode) -> RouterFile? {
        guard var map = MapReader(root, at: .root, log: log) else { return nil }
        defer { map.finish() }
        _ = map.string("$schema")
        if let version = map.node("version") {
            if case .int(let number) = version.value {
                if number != 2 {
                    log.problem(ConfigPath.root.key("version"), "must be 2 (Crossbar's current config version; run 'crossbar upgrade' on older files), got \(number)", line: version.line)
                }
            } else {
                log.problem(ConfigPath.root.key("version"), "expected the integer 2, got \(version.typeName)", line: version.line)
            }
        } else {
            log.problem(ConfigPath.root.key("version"), "missing: must be 2 (Crossbar reads a file without it as version 1)", line: map.lineOf("version"))
        }
        if var controller = map.map("controller") {
            _ = controller.string("id")
            controller.finish(unsupported: [
                "options": "node controller options", "manhole": "", "connections": "", "keyring": "",
            ])
        }
        guard let workers = map.list("workers", required: true) else { return nil }
        var router: (node: ConfigNode, path: ConfigPath)?
        forEachItem(workers, at: ConfigPath.root.key("workers")) { worker, path, _ in
            guard var workerMap = MapReader(worker, at: path, log: log), let type = workerMap.string("type", required: true) else { return }
            if type != "router" {
                log.problem(path.key("type"), "not supported by this router: only one worker of type router, got '\(type)'", line: worker.line)
            } else if let first = router {
                log.problem(path.key("type"), "only one router worker is supported (the first is \(first.path))", line: worker.line)
            } else {
                router = (worker, path)
            }
        }
        guard let router else {
            if workers.isEmpty || !log.problems.contains(where: { $0.path.hasPrefix("workers[") }) {
                log.problem(ConfigPath.root.key("workers"), "needs one worker of type router", line: map.lineOf("workers"))
            }
            return nil
        }
        return readRouter(router.node, at: router.path)
    }

    private func readRouter(_ node: ConfigNode, at path: ConfigPath) -> RouterFile? {
        guard var map = MapReader(node, at: path, log: log) else { return nil }
        defer {
            map.finish(unsupported: [
                "options": "native worker options (Python process settings)",
                "manhole": "",
                "components": "components run inside Crossbar's Python process; run them as separate clients",
                "connections": "",
            ])
        }
        _ = map.string("type")
        _ = map.string("id")
        let realms = map.list("realms").map { RealmReader.read($0, at: path.key("realms"), log: log) } ?? []
        if realms.isEmpty {
            log.notice(path.key("realms"), "no realms: every session will be refused")
        }
        let transports = map.list("transports").map {
            TransportReader(realms: realms, context: context).read($0, at: path.key("transports"))
        } ?? []
        checkPorts(transports)
        var cluster: ClusterSpec?
        if var clusterMap = map.map("cluster") {
            cluster = ClusterSpec.read(&clusterMap, at: path.key("cluster"), log: log)
            clusterMap.finish()
        }
        return RouterFile(realms: realms, transports: transports, directory: context.directory, notices: log.notices,
                          cluster: cluster)
    }

    /// Two transports may share a port only on two different specific interfaces.
    private func checkPorts(_ transports: [TransportSpec]) {
        let wildcard: Set<String> = ["0.0.0.0", "::"]
        for (index, transport) in transports.enumerated() {
            if case .rawsocket(let path?) = transport.kind {
                if let earlier = transports[..<index].first(where: { $0.kind == .rawsocket(unixPath: path) }) {
                    log.problem(rawPath: "\(transport.configPath).endpoint.path", "socket \(path) is already used by \(earlier.configPath)")
                }
                continue
            }
            let endpoint = transport.endpoint
            if let earlier = transports[..<index].first(where: { other in
                !other.isUnixSocket && other.endpoint.port == endpoint.port
                    && (other.endpoint.interface == endpoint.interface || wildcard.contains(other.endpoint.interface)
                        || wildcard.contains(endpoint.interface))
            }) {
                log.problem(rawPath: "\(transport.configPath).endpoint.port",
                            "port \(endpoint.port) is already used by \(earlier.configPath)")
            }
        }
    }
}

extension TransportSpec {
    /// A `rawsocket` transport on a Unix socket (it has no port).
    var isUnixSocket: Bool {
        if case .rawsocket(let path) = kind { return path != nil }
        return false
    }
}
