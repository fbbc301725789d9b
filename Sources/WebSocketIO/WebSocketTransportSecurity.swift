@_exported import MessageTransport
import NIOCore

/// The WebSocket name of `TransportSecurity` (moved to MessageTransport, shared with RawSocket).
public typealias WebSocketTransportSecurity = TransportSecurity

extension WebSocketConnection {
    static func bindingSource(
        _ security: (any WebSocketTransportSecurity)?, channel: any Channel
    ) -> (@Sendable (ChannelBindingType) -> EventLoopFuture<[UInt8]?>)? {
        channelBindingSource(security, channel: channel)
    }
}
