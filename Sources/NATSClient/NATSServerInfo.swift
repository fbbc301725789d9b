import Foundation

/// What the server says of itself in INFO. Only the fields this client acts on; the rest of the
/// JSON is ignored. Decoded with Foundation: INFO comes once per connection (and on cluster
/// changes), never on the message path.
public struct NATSServerInfo: Equatable, Sendable, Decodable {
    public var serverID: String
    public var serverName: String?
    public var version: String?
    /// The largest payload (headers included) the server accepts from, and sends to, a client.
    public var maxPayload: Int
    public var headers: Bool
    public var jetStream: Bool
    public var connectURLs: [String]

    enum CodingKeys: String, CodingKey {
        case serverID = "server_id", serverName = "server_name", version
        case maxPayload = "max_payload", headers, jetStream = "jetstream", connectURLs = "connect_urls"
    }

    /// The server default (1 MiB), used for the bound before the first INFO arrives.
    public static let defaultMaxPayload = 1 << 20
    /// The server refuses to configure more than 64 MiB; a claim beyond it is not believed.
    public static let largestMaxPayload = 64 << 20

    public init(serverID: String, maxPayload: Int = NATSServerInfo.defaultMaxPayload, headers: Bool = true) {
        self.serverID = serverID
        self.maxPayload = maxPayload
        self.headers = headers
        self.jetStream = false
        self.connectURLs = []
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        serverID = try container.decodeIfPresent(String.self, forKey: .serverID) ?? ""
        serverName = try container.decodeIfPresent(String.self, forKey: .serverName)
        version = try container.decodeIfPresent(String.self, forKey: .version)
        let claimed = try container.decodeIfPresent(Int64.self, forKey: .maxPayload) ?? Int64(Self.defaultMaxPayload)
        guard claimed > 0 else {
            throw NATSError.malformedInfo("max_payload \(claimed)")
        }
        maxPayload = Int(min(claimed, Int64(Self.largestMaxPayload)))
        headers = try container.decodeIfPresent(Bool.self, forKey: .headers) ?? false
        jetStream = try container.decodeIfPresent(Bool.self, forKey: .jetStream) ?? false
        connectURLs = try container.decodeIfPresent([String].self, forKey: .connectURLs) ?? []
    }

    /// Decodes INFO's JSON; every failure is `malformedInfo`.
    public static func decode(_ json: [UInt8]) throws -> NATSServerInfo {
        do {
            return try JSONDecoder().decode(NATSServerInfo.self, from: Data(json))
        } catch let error as NATSError {
            throw error
        } catch {
            throw NATSError.malformedInfo("\(error)")
        }
    }
}
