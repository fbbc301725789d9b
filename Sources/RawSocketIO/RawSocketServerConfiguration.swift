import MessageTransport
import NIOCore

/// Settings of a `RawSocketServer`.
public struct RawSocketServerConfiguration: Sendable {
    public enum Endpoint: Sendable, Equatable {
        /// Address and port to bind; port 0 picks an ephemeral one.
        case tcp(host: String, port: Int)
        /// A Unix domain socket at this path (see `RawSocketServer` for its file's life).
        case unix(path: String)
    }

    public var endpoint: Endpoint = .tcp(host: "127.0.0.1", port: 8081)
    /// Serializer ids accepted (1 JSON, 2 MessagePack, 3 CBOR); another one is answered error 1.
    public var serializers: [UInt8] = [1, 2, 3]
    /// The largest message accepted. The handshake can only announce powers of two from 512 to
    /// 16 MiB: the router announces (and enforces) the largest of those not above this.
    public var maxMessageSize: Int = 16 << 20
    /// Bound of a connection's outbound backlog; past it the connection is closed.
    public var maxBacklogBytes: Int = 16 << 20
    /// From accept until the application's handshake is over; the 4-octet RawSocket handshake
    /// must arrive within it or the connection is closed. nil: no limit.
    public var handshakeTimeout: TimeAmount? = nil
    /// Open connections at most on this listener; one more is answered error 4. nil: no limit.
    public var maxConnections: Int? = nil
    /// Messages per second per connection (token bucket, burst of as many); a faster peer is
    /// read from less, never refused. 0: no limit.
    public var maxMessageRate: Int = 0
    /// TLS (TCP only); nil: plain.
    public var transportSecurity: (any TransportSecurity)? = nil

    public init() {}

    /// The `LENGTH` the router announces.
    public var lengthExponent: UInt8 { RawSocketLength.exponent(forMaxMessageSize: self.maxMessageSize) }
}
