import NIOCore
import WampMessages

/// Everything the router needs to start. The defaults are the embedded configuration `make run`
/// uses: 127.0.0.1:8080, realm `realm1`, anonymous peers.
public struct RouterConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    public var realms = ["realm1"]
    /// Serves the Autobahn TestSuite's echo peer on this port (same host) when set.
    public var testeePort: Int?
    public var uriRules: URIValidator.Rules = .loose
    /// Topics starting with `prefix` keep their last `limit` events (`wamp.subscription.get_events`).
    public var eventHistory: [(prefix: String, limit: Int)] = []
    public var maxMessageSize = 16 << 20
    public var maxBacklogBytes = 16 << 20
    /// Most bytes of Details/Options (every dict or list outside the payload) in one message.
    public var maxOptionsBytes = MessageDecoder.Limits.default.maxOptionsBytes
    public var permessageDeflate = true
    public var eventLoopThreads = System.coreCount
    /// How long shutdown waits for peers to answer GOODBYE before closing their connections.
    public var shutdownGracePeriod = TimeAmount.seconds(2)

    public init() {}
}
