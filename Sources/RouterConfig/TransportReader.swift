import WampMessages
import WampAuth

/// Reads the router worker's `transports`: `websocket`, `rawsocket`, and `web` with at most one
/// `websocket` path beside HTTP bridge and admin paths.
struct TransportReader {
    let realms: [RealmSpec]
    let context: ReadContext
    private var log: ProblemLog { context.log }

    func read(_ items: [ConfigNode], at path: ConfigPath) -> [TransportSpec] {
        var transports: [TransportSpec] = []
        forEachItem(items, at: path) { item, itemPath, _ in
            if let transport = readTransport(item, at: itemPath) { transports.append(transport) }
        }
        return transports
    }

    private func readTransport(_ node: ConfigNode, at path: ConfigPath) -> TransportSpec? {
        guard var map = MapReader(node, at: path, log: log) else { return nil }
        guard let type = map.string("type", required: true) else {
            for key in map.keys { map.accept(key) }
            return nil
        }
        switch type {
        case "websocket":
            return websocket(&map, at: path)
        case "web":
            return web(&map, at: path)
        case "rawsocket":
            return rawsocket(&map, at: path)
        case "universal", "mqtt", "flashpolicy", "websocket.testee", "stream.testee":
            log.problem(path.key("type"), "not supported by this router: only websocket, web and rawsocket transports, got '\(type)'", line: map.lineOf("type"))
        default:
            log.problem(path.key("type"), "unknown transport type '\(type)' (this router has websocket, web and rawsocket)", line: map.lineOf("type"))
        }
        for key in map.keys { map.accept(key) }
        return nil
    }

    private func websocket(_ map: inout MapReader, at path: ConfigPath) -> TransportSpec? {
        _ = map.string("id")
        let endpoint = map.required("endpoint").flatMap { EndpointReader.read($0, at: path.key("endpoint"), context: context) }
        let service = webSocketService(&map, at: path)
        map.finish(unsupported: ["cookie": "cookie tracking and cookie authentication", "url": "the server needs no URL of its own"])
        guard let endpoint, let service else { return nil }
        return TransportSpec(kind: .websocket, endpoint: endpoint, serializers: service.serializers, options: service.options,
                             auth: service.auth, configPath: path.description)
    }

    /// Crossbar's `web` transport: `paths` with at most one `websocket` path and any number of
    /// HTTP bridge (`publisher`, `caller`) and admin (`metrics`, `health`, `status`) paths.
    private func web(_ map: inout MapReader, at path: ConfigPath) -> TransportSpec? {
        let before = log.problems.count
        _ = map.string("id")
        let endpoint = map.required("endpoint").flatMap { EndpointReader.read($0, at: path.key("endpoint"), context: context) }
        if let options = map.map("options") {
            options.finish(unsupported: Dictionary(uniqueKeysWithValues: ["access_log", "display_tracebacks", "hsts", "hsts_max_age", "client_timeout"].map { ($0, "Web transport options") }))
        }
        var webSocket: (path: String, name: String, service: WebSocketService?)?
        var services: [WebServiceSpec] = []
        if var paths = map.map("paths", required: true) {
            let names = paths.keys
            if names.isEmpty {
                log.problem(paths.path, "empty: a web transport needs at least one path (websocket, publisher, caller, metrics, health or status)", line: paths.line)
            }
            for name in names {
                let servicePath = paths.path.key(name)
                guard let node = paths.node(name), var service = MapReader(node, at: servicePath, log: log) else { continue }
                guard let type = service.string("type", required: true) else {
                    for key in service.keys { service.accept(key) }
                    continue
                }
                let validName = Self.isValidWebPath(name)
                if !validName {
                    log.problem(servicePath, "a path is / or one segment of letters, digits, _ and - (Crossbar's rule), got '\(name)'", line: service.line)
                }
                let webPath = name == "/" ? "/" : "/\(name)"
                switch type {
                case "websocket":
                    if let first = webSocket {
                        log.problem(servicePath.key("type"), "a web transport has at most one websocket path, and '\(first.name)' is one already", line: service.lineOf("type"))
                    }
                    _ = service.string("id")
                    let parsed = webSocketService(&service, at: servicePath)
                    service.finish(unsupported: ["cookie": "cookie tracking and cookie authentication", "url": "the server needs no URL of its own",
                                                 "debug": "use --log-level trace"])
                    if webSocket == nil { webSocket = (webPath, name, parsed) }
                case _ where WebServiceReader.serviceTypes.contains(type):
                    let reader = WebServiceReader(realms: realms, context: context)
                    if let spec = reader.read(&service, type: type, webPath: webPath, at: servicePath), validName {
                        services.append(spec)
                    }
                default:
                    let known = WebServiceReader.crossbarOnlyTypes.contains(type)
                    log.problem(servicePath.key("type"),
                                "\(known ? "not supported by this router" : "unknown path type"): a web path here is websocket, publisher, caller, metrics, health or status, got '\(type)'",
                                line: service.lineOf("type"))
                    for key in service.keys { service.accept(key) }
                }
            }
        }
        map.finish()
        guard log.problems.count == before, let endpoint else { return nil }
        let found = webSocket?.service
        if webSocket != nil && found == nil { return nil }
        var spec = TransportSpec(kind: .web(websocketPath: webSocket?.path), endpoint: endpoint,
                                 serializers: found?.serializers ?? WampSerialization.allCases, options: found?.options ?? WebSocketOptions(),
                                 auth: found?.auth ?? .anonymousOnly, configPath: path.description)
        spec.webServices = services
        return spec
    }

    /// Crossbar's `rawsocket` transport: `endpoint` (tcp, with optional tls, or unix),
    /// `serializers`, `max_message_size`, `auth`.
    private func rawsocket(_ map: inout MapReader, at path: ConfigPath) -> TransportSpec? {
        let before = log.problems.count
        _ = map.string("id")
        let endpoint = map.required("endpoint").flatMap {
            EndpointReader.readRawSocket($0, at: path.key("endpoint"), context: context)
        }
        let serializers = readSerializers(&map, at: path.key("serializers"))
        // Crossbar: 1 ... 64 MiB. RawSocket itself cannot announce more than 16 MiB, nor less than 512.
        let maxMessageSize = map.int("max_message_size", in: 512...(64 << 20), unit: " bytes")
        var auth = TransportAuthConfiguration.anonymousOnly
        let authReader = AuthReader(realms: realms, context: context)
        if let node = map.node("auth") {
            auth = authReader.read(node, at: path.key("auth")) ?? auth
        } else {
            authReader.checkImplicitAnonymousRole(at: path)
        }
        if map.bool("debug") == true {
            log.notice(path.key("debug"), "has no effect here: use --log-level trace")
        }
        map.finish(unsupported: ["options": "rawsocket transport options (the router-wide flags apply)"])
        guard log.problems.count == before, let endpoint, let serializers else { return nil }
        let tcp: TCPEndpoint
        let unixPath: String?
        switch endpoint {
        case .tcp(let endpoint): (tcp, unixPath) = (endpoint, nil)
        case .unix(let socketPath): (tcp, unixPath) = (TCPEndpoint(port: 0, interface: ""), socketPath)
        }
        return TransportSpec(kind: .rawsocket(unixPath: unixPath), endpoint: tcp, serializers: serializers,
                             options: WebSocketOptions(maxMessageSize: maxMessageSize), auth: auth, configPath: path.description)
    }

    static func isValidWebPath(_ name: String) -> Bool {
        name == "/" || (!name.isEmpty && name.unicodeScalars.allSatisfy { $0.isASCIILetter || ("0"..."9").contains($0) || $0 == "_" || $0 == "-" })
    }

    private struct WebSocketService {
        var serializers: [WampSerialization]
        var options: WebSocketOptions
        var auth: TransportAuthConfiguration
    }

    /// The keys a `websocket` transport and a web `websocket` path share.
    private func webSocketService(_ map: inout MapReader, at path: ConfigPath) -> WebSocketService? {
        let before = log.problems.count
        let serializers = readSerializers(&map, at: path.key("serializers"))
        let options = map.node("options").flatMap { WebSocketOptionsReader.read($0, at: path.key("options"), log: log) } ?? WebSocketOptions()
        var auth = TransportAuthConfiguration.anonymousOnly
        let authReader = AuthReader(realms: realms, context: context)
        if let node = map.node("auth") {
            auth = authReader.read(node, at: path.key("auth")) ?? auth
        } else {
            authReader.checkImplicitAnonymousRole(at: path)
        }
        if map.bool("debug") == true {
            log.notice(path.key("debug"), "has no effect here: use --log-level trace")
        }
        guard log.problems.count == before, let serializers else { return nil }
        return WebSocketService(serializers: serializers, options: options, auth: auth)
    }

    /// Crossbar's default when absent is every serializer it has; here: JSON, MessagePack, CBOR.
    private func readSerializers(_ map: inout MapReader, at path: ConfigPath) -> [WampSerialization]? {
        guard map.has("serializers") else { return WampSerialization.allCases }
        guard let names = map.stringList("serializers") else { return nil }
        var serializers: [WampSerialization] = []
        for (index, name) in names.enumerated() {
            if let serializer = WampSerialization(configName: name) {
                if serializers.contains(serializer) {
                    log.problem(path.index(index), "'\(name)' is listed twice", line: map.line)
                }
                serializers.append(serializer)
            } else if UnsupportedSerializer.names.contains(name) {
                log.problem(path.index(index), "not supported: '\(name)' (this router speaks \(WampSerialization.allCases.map(\.configName).joined(separator: ", ")))", line: map.line)
            } else {
                log.problem(path.index(index), "unknown serializer '\(name)'", line: map.line)
            }
        }
        if names.isEmpty {
            log.problem(path, "empty: a transport needs at least one serializer", line: map.line)
        }
        return serializers.count == names.count && !names.isEmpty ? serializers : nil
    }
}
