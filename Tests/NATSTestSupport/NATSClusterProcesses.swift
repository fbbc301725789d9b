import Foundation

/// Three `nats-server -js` of a test's own joined by routes into one NATS cluster (cluster
/// name `wamp-test`, servers `s1`...`s3`), each on its own free client and route port and
/// storage directory; JetStream is clustered, so a bucket may be replicated over all three.
public final class NATSClusterProcesses: @unchecked Sendable {
    public let servers: [NATSServerProcess]

    public init() throws {
        let clientPorts = try (0..<3).map { _ in try NATSServerProcess.freePort() }
        let routePorts = try (0..<3).map { _ in try NATSServerProcess.freePort() }
        let routes = routePorts.map { "nats://127.0.0.1:\($0)" }.joined(separator: ",")
        var started: [NATSServerProcess] = []
        do {
            for index in 0..<3 {
                started.append(try NATSServerProcess(port: clientPorts[index], extraArguments: [
                    "-n", "s\(index + 1)", "--cluster_name", "wamp-test",
                    "--cluster", "nats://127.0.0.1:\(routePorts[index])", "--routes", routes,
                ]))
            }
        } catch {
            for server in started { server.stop(); server.removeStore() }
            throw error
        }
        self.servers = started
    }

    /// Every server's client URL, for a connection's server list.
    public var urls: [String] { servers.map(\.url) }

    public func stopAll() {
        for server in servers {
            server.stop()
            server.removeStore()
        }
    }
}
