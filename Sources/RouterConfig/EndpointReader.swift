import Foundation

/// Reads a transport's listening `endpoint`.
enum EndpointReader {
    enum RawSocketEndpoint {
        case tcp(TCPEndpoint)
        case unix(path: String)
    }

    /// A `rawsocket` transport's endpoint: `tcp` as for WebSocket, or `unix` with a `path`
    /// (relative paths resolve against the config file's folder).
    static func readRawSocket(_ node: ConfigNode, at path: ConfigPath, context: ReadContext) -> RawSocketEndpoint? {
        guard case .map = node.value, var map = MapReader(node, at: path, log: context.log) else {
            return read(node, at: path, context: context).map(RawSocketEndpoint.tcp)
        }
        guard map.string("type") == "unix" else { return read(node, at: path, context: context).map(RawSocketEndpoint.tcp) }
        defer { map.finish() }
        guard let socketPath = map.string("path", required: true) else { return nil }
        if socketPath.isEmpty {
            context.log.problem(path.key("path"), "empty: give the socket file's path", line: map.lineOf("path"))
            return nil
        }
        let resolved = socketPath.hasPrefix("/") ? socketPath : context.directory + "/" + socketPath
        // sockaddr_un holds 108 bytes with the terminating zero.
        if resolved.utf8.count > 107 {
            context.log.problem(path.key("path"), "too long for a Unix socket (at most 107 bytes), got \(resolved.utf8.count)", line: map.lineOf("path"))
            return nil
        }
        return .unix(path: resolved)
    }

    static func read(_ node: ConfigNode, at path: ConfigPath, context: ReadContext) -> TCPEndpoint? {
        let log = context.log
        guard var map = MapReader(node, at: path, log: log) else { return nil }
        defer {
            map.finish(unsupported: [
                "portrange": "give one port",
                "user_timeout": "",
            ])
        }
        guard let type = map.string("type", required: true) else { return nil }
        guard type == "tcp" else {
            if ["unix", "twisted", "onion"].contains(type) {
                log.problem(path.key("type"), "not supported by this router: only tcp endpoints, got '\(type)'", line: map.lineOf("type"))
            } else {
                log.problem(path.key("type"), "must be tcp, got '\(type)'", line: map.lineOf("type"))
            }
            for key in map.keys { map.accept(key) }
            return nil
        }
        let port = readPort(&map, context: context)
        let version = map.int("version") ?? 4
        var validVersion = true
        if version != 4, version != 6 {
            log.problem(path.key("version"), "must be 4 or 6, got \(version)", line: map.lineOf("version"))
            validVersion = false
        }
        let interface = map.string("interface")?.trimmingCharacters(in: .whitespaces)
        let backlog = map.int("backlog", in: 1...65535)
        if map.bool("shared") == true {
            log.problem(path.key("shared"), "not supported by this router: one process listens on each port", line: map.lineOf("shared"))
        }
        var tls: TLSFiles?
        var tlsValid = true
        if map.has("tls") {
            tls = readTLS(&map, at: path.key("tls"), context: context)
            tlsValid = tls != nil
        }
        guard let port, validVersion, tlsValid else { return nil }
        let resolvedInterface = (interface?.isEmpty ?? true) ? (version == 6 ? "::" : "0.0.0.0") : interface!
        return TCPEndpoint(port: port, interface: resolvedInterface, ipVersion: version, backlog: backlog, tls: tls)
    }

    /// An integer 1...65535, or Crossbar's `$NAME` string naming an environment variable holding one.
    private static func readPort(_ map: inout MapReader, context: ReadContext) -> Int? {
        let path = map.path.key("port")
        guard let node = map.required("port") else { return nil }
        if case .string(let text) = node.value {
            guard text.hasPrefix("$"), text.count > 1 else {
                context.log.problem(path, "expected an integer 1...65535 (or $NAME of an environment variable), got a string", line: node.line)
                return nil
            }
            let name = String(text.dropFirst())
            guard let value = context.environment[name] else {
                context.log.problem(path, "environment variable \(name) is not set", line: node.line)
                return nil
            }
            guard let port = Int(value), (1...65535).contains(port) else {
                context.log.problem(path, "environment variable \(name) must hold a port 1...65535, got '\(value)'", line: node.line)
                return nil
            }
            return port
        }
        return MapReader.int(node, at: path, in: 1...65535, log: context.log)
    }

    private static func readTLS(_ map: inout MapReader, at path: ConfigPath, context: ReadContext) -> TLSFiles? {
        guard var tls = map.map("tls") else { return nil }
        defer {
            tls.finish(unsupported: [
                "dhparam": "TLS 1.2 and 1.3 here use ECDHE key exchange, which needs no DH parameters",
                "ciphers": "the cipher suites are swift-nio-ssl's secure defaults",
            ])
        }
        let key = tls.string("key", required: true).flatMap { context.existingFile($0, at: path.key("key"), line: tls.lineOf("key")) }
        let certificate = tls.string("certificate", required: true)
            .flatMap { context.existingFile($0, at: path.key("certificate"), line: tls.lineOf("certificate")) }
        let chain = files(&tls, "chain_certificates", context: context)
        let authorities = files(&tls, "ca_certificates", context: context)
        guard let key, let certificate, let chain, let authorities else { return nil }
        return TLSFiles(key: key, certificate: certificate, chainCertificates: chain, caCertificates: authorities)
    }

    private static func files(_ tls: inout MapReader, _ key: String, context: ReadContext) -> [String]? {
        guard tls.has(key) else { return [] }
        guard let names = tls.stringList(key) else { return nil }
        var resolved: [String] = []
        for (index, name) in names.enumerated() {
            if let file = context.existingFile(name, at: tls.path.key(key).index(index), line: tls.line) {
                resolved.append(file)
            }
        }
        return resolved.count == names.count ? resolved : nil
    }
}
