import Foundation
import NATSClient

extension ClusterNode {
    /// `nats://[user:password@]host:port` each; credentials (the first given) go to CONNECT,
    /// never into a log.
    package static func parseServers(_ urls: [String]) throws -> ([NATSServerAddress], String?, String?) {
        var user: String?
        var password: String?
        var servers: [NATSServerAddress] = []
        for url in urls {
            var rest = Substring(url)
            if rest.hasPrefix("nats://") { rest = rest.dropFirst(7) }
            if let at = rest.lastIndex(of: "@") {
                let credentials = rest[..<at]
                rest = rest[rest.index(after: at)...]
                if user == nil {
                    if let colon = credentials.firstIndex(of: ":") {
                        user = String(credentials[..<colon]).removingPercentEncoding
                        password = String(credentials[credentials.index(after: colon)...]).removingPercentEncoding
                    } else {
                        user = String(credentials).removingPercentEncoding
                    }
                }
            }
            servers.append(try NATSServerAddress(String(rest)))
        }
        guard !servers.isEmpty else { throw NATSError.invalidServerAddress("") }
        return (servers, user, password)
    }
}
