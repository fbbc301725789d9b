import NIOCore

/// What a secure transport (TLS) adds to a channel, supplied by a module that links the TLS
/// library (`WampTLS`), so that the transports (WebSocketIO, RawSocketIO) stay free of it.
public protocol TransportSecurity: Sendable {
    /// Installs the transport's handlers at the network end of a fresh channel's pipeline, before
    /// any other handler. Runs on the channel's event loop, once per connection.
    func configure(channel: any Channel) throws

    /// Keying material that binds an authentication to this very connection (RFC 5056 channel
    /// binding), once the transport's handshake is over; nil when the transport cannot give it
    /// (say TLS 1.2 for `tls-exporter`). Called on or off the channel's loop.
    func channelBinding(_ type: ChannelBindingType, channel: any Channel) -> EventLoopFuture<[UInt8]?>
}

/// Channel-binding types (IANA "Channel-Binding Types").
public enum ChannelBindingType: String, Sendable, CaseIterable {
    /// RFC 9266: 32 bytes of TLS exporter output for the label `EXPORTER-Channel-Binding`.
    case tlsExporter = "tls-exporter"
}

/// What a connection asks for its channel binding: the transport security, given the channel
/// (held weakly: the connection may outlive it).
package func channelBindingSource(
    _ security: (any TransportSecurity)?, channel: any Channel
) -> (@Sendable (ChannelBindingType) -> EventLoopFuture<[UInt8]?>)? {
    guard let security else { return nil }
    let eventLoop = channel.eventLoop
    return { [weak channel] type in
        guard let channel else { return eventLoop.makeSucceededFuture(nil) }
        return security.channelBinding(type, channel: channel)
    }
}
