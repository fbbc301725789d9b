import HTTPBridge
import Logging
import NIOCore
import NIOPosix
import RouterConfig
import WebSocketIO

extension WampRouter {
    /// The HTTP services of one listener: its `web` transport's `publisher` and `caller` paths
    /// (the HTTP bridge) and its admin paths (`metrics`, `health`, `status`), combined by
    /// `HTTPServiceRouter`. `service` nil: none (plain `GET /` page and 404 as before).
    /// `bridges`: the bridge paths among them, whose sessions `shutdown()` ends.
    static func httpService(for listener: ListenerConfiguration, configuration: RouterConfiguration, context: RouterContext,
                            statusCollector: RouterStatusCollector,
                            group: MultiThreadedEventLoopGroup) -> (service: (any HTTPService)?, bridges: [HTTPBridgeService]) {
        var bridges: [HTTPBridgeService] = []
        var services: [any HTTPService] = []
        let scheme = listener.tls == nil ? "http" : "https"
        for spec in listener.webServices {
            switch spec.kind {
            case .publisher(let options), .caller(let options):
                guard let realm = context.realms.realm(named: options.realm),
                      let bridge = HTTPBridgeService(spec: spec, realm: realm, sessionID: context.realms.newSessionID(), eventLoops: group,
                                                     maxMessageSize: configuration.maxMessageSize, logger: context.logger) else {
                    context.logger.error("HTTP bridge path not served: its realm does not exist", metadata: [
                        "path": "\(spec.path)", "realm": "\(options.realm)", "config": "\(spec.configPath)",
                    ])
                    continue
                }
                services.append(bridge)
                bridges.append(bridge)
                context.logger.notice("HTTP bridge path", metadata: [
                    "url": "\(scheme)://\(listener.host):\(listener.port)\(spec.path)",
                    "service": "\(bridge.role == .publisher ? "publisher" : "caller")", "realm": "\(options.realm)",
                    "authrole": "\(options.role)", "signed": "\(options.signing != nil)", "transport": "\(listener.name)",
                ])
            case .metrics, .health, .status:
                break  // one admin service for all of them, below
            }
        }
        if let admin = statusCollector.webAdminService(for: listener.webServices, metrics: WampRouter.metricsSource(configuration, context),
                                                       group: group) {
            services.append(admin)
            for spec in listener.webServices where spec.kind.isAdmin {
                context.logger.notice("admin path", metadata: [
                    "url": "\(scheme)://\(listener.host):\(listener.port)\(spec.path)", "transport": "\(listener.name)",
                ])
            }
        }
        return (HTTPServiceRouter.combining(services), bridges)
    }
}
