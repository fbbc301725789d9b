import NIOCore

/// Settings of a `WebSocketServer`.
public struct WebSocketServerConfiguration: Sendable {
    /// Address to bind.
    public var host: String = "127.0.0.1"
    /// Port to bind; 0 picks an ephemeral port (see `WebSocketServer.port`).
    public var port: Int = 8080
    /// Supported subprotocols in server preference order. When the client offers several, the
    /// first one of this list that the client offered wins.
    public var subprotocols: [String] = []
    /// Refuse the upgrade (HTTP 400 naming the supported subprotocols) when the client offers
    /// none of `subprotocols`.
    public var requireSubprotocol: Bool = false
    /// Largest message accepted (after reassembly and decompression); larger ones close with 1009.
    public var maxMessageSize: Int = 16 << 20
    /// Bound of a connection's outbound backlog; past it the connection is closed with 1008.
    public var maxBacklogBytes: Int = 16 << 20
    /// Accept permessage-deflate (RFC 7692) offers.
    public var permessageDeflate: Bool = true
    /// With permessage-deflate, keep the server's compression context from message to message
    /// (RFC 7692 context takeover; the default, and what the client gets unless it asks for
    /// `server_no_context_takeover`). false: answer every offer with `server_no_context_takeover`,
    /// so each message is compressed on its own: a fan-out message is then compressed once per
    /// window size and shared by every connection (`WebSocketFrameCache`), and connections use
    /// one compressor per event loop instead of one each (about 256 KiB of zlib state per
    /// connection saved); small repeated messages compress less well.
    public var deflateServerContextTakeover: Bool = true
    /// Time from TCP accept until the application's own handshake is done. A connection not
    /// upgraded by then is closed (a slowloris peer gets no answer); the deadline is carried
    /// into `WebSocketConnection.handshakeDeadline` for the rest. nil: no limit.
    public var handshakeTimeout: TimeAmount? = nil
    /// Ping a peer after this long without inbound traffic; nil: never.
    public var autoPingInterval: TimeAmount? = nil
    /// A pinged peer silent this long after the ping is dropped (TCP closed, no close
    /// handshake: the peer is not answering).
    public var autoPingTimeout: TimeAmount = .seconds(10)
    /// Most frames one message may arrive in; past it: close 1008. nil: no limit.
    public var maxFragments: Int? = nil
    /// Messages per second per connection (token bucket, burst of as many); a faster peer is
    /// read from less. 0: no limit.
    public var maxMessageRate: Int = 0
    /// Open TCP connections at most; one more is answered HTTP 503 and closed. nil: no limit.
    public var maxConnections: Int? = nil
    /// Body of the page answered to a plain `GET /` (no upgrade headers).
    public var httpPage: String = ""
    /// Browser origins allowed to upgrade (Crossbar's `allowed_origins`); another `Origin` gets
    /// HTTP 403. nil: any origin, and requests without `Origin`, as before.
    public var allowedOrigins: OriginPolicy? = nil
    /// The one path WebSocket upgrades are accepted on (Crossbar's `web` transport path of type
    /// `websocket`, say "/ws"); an upgrade on another path gets HTTP 404, and a plain GET of it
    /// is answered like `GET /`. nil: upgrades on any path.
    public var webSocketPath: String? = nil
    /// Answers plain HTTP requests on the paths it handles (the HTTP bridge, the admin pages);
    /// checked before the listener's own `GET /` page. nil: none.
    public var httpService: (any HTTPService)? = nil
    /// false: a plain HTTP listener (the admin listener, a `web` transport with HTTP services and
    /// no `websocket` path) that refuses every WebSocket upgrade with HTTP 404, so it still gets
    /// this server's connection limit, handshake timeout and TLS.
    public var acceptsWebSocket: Bool = true
    /// TLS (or another secure transport) installed first in each accepted connection's
    /// pipeline; nil: plain TCP (`ws://`).
    public var transportSecurity: (any WebSocketTransportSecurity)? = nil

    /// `wss` with a secure transport, `ws` without: for logs.
    public var scheme: String { self.transportSecurity == nil ? "ws" : "wss" }

    public init() {}
}
