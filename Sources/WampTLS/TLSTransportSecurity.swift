import NIOCore
import NIOSSL
import Synchronization
import WebSocketIO

/// TLS for a WebSocket listener or client (`WebSocketServerConfiguration.transportSecurity`,
/// `WebSocketClient.connect(transportSecurity:)`): puts swift-nio-ssl's handler first in each
/// connection's pipeline and answers `tls-exporter` channel binding on TLS 1.3.
///
/// Why a TLS context per connection when channel binding is on: swift-nio-ssl has no call for
/// exporting keying material; the exporter master secret is only seen through the key-log
/// callback, which belongs to a context, not a connection. A context of its own per connection
/// ties the secret to it. The cost is building the context on accept (certificate and key are
/// parsed once, at start-up; no trust store is read) and no session resumption. Without channel
/// binding, every connection shares one context made at start-up and nothing of that is paid.
public struct TLSTransportSecurity: WebSocketTransportSecurity {
    private enum Role: Sendable {
        case server
        case client(serverHostname: String?)
    }

    private let configuration: TLSConfiguration
    private let role: Role
    /// The one context of every connection when channel binding is off; nil: one per connection.
    private let sharedContext: NIOSSLContext?

    private init(configuration: TLSConfiguration, role: Role, channelBinding: Bool) throws {
        self.configuration = configuration
        self.role = role
        self.sharedContext = channelBinding ? nil : try NIOSSLContext(configuration: configuration)
    }

    /// A listener's TLS from credentials loaded at start-up. `channelBinding`: answer
    /// `tls-exporter` (a context per connection, see above); off, `channelBinding(_:channel:)`
    /// answers nil.
    public static func server(_ credentials: TLSServerCredentials, channelBinding: Bool = true) throws -> TLSTransportSecurity {
        let security = try TLSTransportSecurity(configuration: credentials.serverConfiguration(), role: .server,
                                                channelBinding: channelBinding)
        if channelBinding { _ = try security.makeContext(secretBox: ExporterSecretBox()) }
        return security
    }

    /// A client's TLS: `configuration` says whom to trust (`trustRoots`) and which versions;
    /// `serverHostname` is checked against the server's certificate and sent as SNI.
    public static func client(_ configuration: TLSConfiguration, serverHostname: String?) throws -> TLSTransportSecurity {
        let security = try TLSTransportSecurity(configuration: configuration, role: .client(serverHostname: serverHostname),
                                                channelBinding: true)
        _ = try security.makeContext(secretBox: ExporterSecretBox())
        return security
    }

    public func configure(channel: any Channel) throws {
        let pipeline = channel.pipeline.syncOperations
        let context: NIOSSLContext
        if let sharedContext {
            context = sharedContext
        } else {
            let secretBox = ExporterSecretBox()
            context = try self.makeContext(secretBox: secretBox)
            // Both at the front, the TLS handler ahead of the holder: TLS, holder, then the rest.
            try pipeline.addHandler(ChannelBindingHolder(secretBox: secretBox), position: .first)
        }
        switch self.role {
        case .server:
            try pipeline.addHandler(NIOSSLServerHandler(context: context), position: .first)
        case .client(let serverHostname):
            try pipeline.addHandler(try NIOSSLClientHandler(context: context, serverHostname: serverHostname), position: .first)
        }
    }

    public func channelBinding(_ type: ChannelBindingType, channel: any Channel) -> EventLoopFuture<[UInt8]?> {
        guard sharedContext == nil else { return channel.eventLoop.makeSucceededFuture(nil) }
        let read: @Sendable () throws -> [UInt8]? = {
            let pipeline = channel.pipeline.syncOperations
            // RFC 9266 binds TLS 1.2 only with extended master secret, and the TLS 1.2 key-log
            // line lacks the server random the exporter needs: TLS 1.3 only.
            guard try pipeline.handler(type: NIOSSLHandler.self).tlsVersion == .tlsv13 else { return nil }
            guard let secret = try pipeline.handler(type: ChannelBindingHolder.self).secretBox.secret else { return nil }
            switch type {
            case .tlsExporter:
                return TLSExporter.export(secret: secret, label: TLSExporter.channelBindingLabel, length: 32)
            }
        }
        if channel.eventLoop.inEventLoop {
            return channel.eventLoop.makeCompletedFuture { try read() }.recover { _ in nil }
        }
        return channel.eventLoop.submit(read).recover { _ in nil }
    }

    private func makeContext(secretBox: ExporterSecretBox) throws -> NIOSSLContext {
        var configuration = self.configuration
        configuration.keyLogCallback = { line in
            // Every other secret of the line stream is dropped here, unread.
            if let secret = TLSExporter.exporterSecret(keyLogLine: String(buffer: line).trimmingNewline()) {
                secretBox.secret = secret
            }
        }
        return try NIOSSLContext(configuration: configuration)
    }
}

/// The connection's exporter master secret, written by the TLS library's key-log callback.
final class ExporterSecretBox: Sendable {
    private let value = Mutex<[UInt8]?>(nil)

    var secret: [UInt8]? {
        get { self.value.withLock { $0 } }
        set { self.value.withLock { $0 = newValue } }
    }
}

/// Keeps a connection's `ExporterSecretBox` in its pipeline, where `channelBinding` finds it.
final class ChannelBindingHolder: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny
    let secretBox: ExporterSecretBox

    init(secretBox: ExporterSecretBox) {
        self.secretBox = secretBox
    }
}

extension String {
    fileprivate func trimmingNewline() -> String {
        var text = Substring(self)
        while let last = text.last, last == "\n" || last == "\r" { text = text.dropLast() }
        return String(text)
    }
}
