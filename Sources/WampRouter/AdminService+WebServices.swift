import AdminHTTP
import NIOCore
import RouterConfig

extension AdminService {
    /// The admin paths of a config file's `web` transport (`metrics`, `health`, `status`),
    /// served on that transport's listener beside its WebSocket path; publisher and caller
    /// entries are left to the HTTP bridge. `status` at P serves the page at P and its feed at
    /// P/status.json. nil when the list names no admin path.
    public init?(webServices: [WebServiceSpec], sources: AdminSources, responders: any EventLoopGroup) {
        var routes: [AdminRoute] = []
        for spec in webServices {
            switch spec.kind {
            case .metrics(let access):
                routes.append(AdminRoute(path: spec.path, endpoint: .metrics, credentials: AdminCredentials(access),
                                         maxBodyBytes: access.postBodyLimit))
            case .health(let access):
                routes.append(AdminRoute(path: spec.path, endpoint: .health, credentials: AdminCredentials(access),
                                         maxBodyBytes: access.postBodyLimit))
            case .status(let access):
                routes += AdminRoute.statusPage(at: spec.path, credentials: AdminCredentials(access), maxBodyBytes: access.postBodyLimit)
            case .publisher, .caller:
                continue
            }
        }
        guard !routes.isEmpty else { return nil }
        self.init(routes: routes, sources: sources, answersAllPaths: false, responders: responders)
    }
}

extension AdminCredentials {
    init(_ access: AdminAccess) {
        self.init(token: access.token, basicUser: access.basicUser, basicPassword: access.basicPassword, loopbackOnly: access.loopbackOnly)
    }
}

extension RouterStatusCollector {
    /// The admin service for a `web` transport's admin paths (nil when it has none), answering
    /// on the router's own loops, and the rate sampling the status page needs.
    func webAdminService(for webServices: [WebServiceSpec], metrics: @escaping @Sendable () -> String?,
                         loopBound: TimeAmount = EventLoopProbe.defaultBound, group: any EventLoopGroup) -> AdminService? {
        let responder = group.next()
        guard let service = AdminService(webServices: webServices, sources: sources(metrics: metrics, loopBound: loopBound, responder: responder),
                                         responders: group) else { return nil }
        startSampling(on: responder)
        return service
    }
}
