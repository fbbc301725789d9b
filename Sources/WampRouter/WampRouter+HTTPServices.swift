import HTTPBridge
import Logging
import NIOCore
import NIOPosix
import RouterConfig
import WebSocketIO

extension WampRouter {
    /// The HTTP services of one listener: its `web` transport's `publisher` and `caller` paths
    /// (the HTTP bridge), combined by `HTTPServiceRouter` with any other service on the same
    /// listener. nil: none (plain `GET /` page and 404 as before).
    ///
    /// Admin paths (`metrics`, `health`, `status`) are the admin service's: it adds its own
    /// services to `services` here.
    static func httpService(for listener: ListenerConfiguration, configuration: RouterConfiguration, context: RouterContext,
                            group: MultiThreadedEventLoopGroup) -> (any HTTPService)? {
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
                context.logger.notice("HTTP bridge path", metadata: [
                    "url": "\(scheme)://\(listener.host):\(listener.port)\(spec.path)",
                    "service": "\(bridge.role == .publisher ? "publisher" : "caller")", "realm": "\(options.realm)",
                    "authrole": "\(options.role)", "signed": "\(options.signing != nil)", "transport": "\(listener.name)",
                ])
            case .metrics, .health, .status:
                break  // the admin service's
            }
        }
        return HTTPServiceRouter.combining(services)
    }
}
