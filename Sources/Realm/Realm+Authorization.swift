import Logging
import Synchronization
import WampMessages

/// Authorization: whether a session's role lets it REGISTER, CALL, SUBSCRIBE or PUBLISH on a URI.
///
/// The session layer asks before it dispatches each of those requests (URIs as the peer gave
/// them, patterns included; `wamp.*` meta procedures like any other). Static roles answer at
/// once from a per-role cache by URI (`RoleTable`); a dynamic role asks its authorizer procedure
/// through `callInternally` and answers later. Without a role table (the development default)
/// the whole check is one atomic load.
extension Realm {
    // MARK: The role table

    /// Whether sessions may be given `role` here; always true in the development default.
    public func hasRole(_ role: String) -> Bool {
        guard checksAuthorization.load(ordering: .relaxed) else { return true }
        return roleTable.withLock { $0.hasRole(role) }
    }

    /// False in the development default (no role table: everything allowed, nothing checked).
    public var hasRoleTable: Bool { checksAuthorization.load(ordering: .relaxed) }

    /// Swaps in a new role table (SIGHUP), all at once: later checks see only the new table,
    /// every cached decision (static, and dynamic ones cached per session) is dropped, and
    /// sessions keep running under their role name, resolved against the new table on their next
    /// request. A session whose role the new table lacks is denied everything (it keeps its
    /// subscriptions and registrations; the operator can end it with `wamp.session.kill_by_authrole`).
    /// An authorizer answer that arrives after the swap is delivered but not cached.
    public func replaceRoles(_ roles: [String: RoleDefinition]?) {
        if roles == nil { checksAuthorization.store(false, ordering: .relaxed) }
        roleTable.withLock { $0.replace(with: roles) }
        if roles != nil { checksAuthorization.store(true, ordering: .relaxed) }
    }

    // MARK: Checking

    /// The decision when it needs no waiting: always for static roles and the development
    /// default, and for a dynamic role's cached answers. `nil`: the role's authorizer must be
    /// asked, with `authorize(_:uri:session:options:completion:)`. This form takes no closure, so
    /// the hot path allocates nothing.
    public func authorizeNow(_ action: WampAction, uri: String, session: RealmSession) -> AuthorizationOutcome? {
        switch decide(action, uri: uri, session: session) {
        case .decided(let outcome): return outcome
        case .askAuthorizer: return nil
        }
    }

    /// The decision, returned when it is known before this function returns (static roles:
    /// always). Otherwise returns `nil` and calls `completion` exactly once later, from the thread
    /// that delivered the authorizer's answer or ran the timeout, never under a routing lock.
    /// `options`: the request's Options, passed to a dynamic authorizer as Crossbar does.
    public func authorize(_ action: WampAction, uri: String, session: RealmSession, options: JSONValue,
                          completion: @escaping @Sendable (AuthorizationOutcome) -> Void) -> AuthorizationOutcome? {
        switch decide(action, uri: uri, session: session) {
        case .decided(let outcome):
            return outcome
        case .askAuthorizer(let procedure, let generation):
            return askAuthorizer(procedure, generation: generation, action, uri: uri, session: session, options: options,
                                 completion: completion)
        }
    }

    /// An unacknowledged PUBLISH that authorization refused: the spec gives the publisher no
    /// answer, so it is counted and logged (first, then once per 1,024) instead.
    public func refusedUnacknowledgedPublish(topic: String, from session: RealmSession, reason: String) {
        guard counters.add(.unacknowledgedPublishRefused) else { return }
        logger.notice("unacknowledged PUBLISH refused by authorization and dropped", metadata: [
            "session": "\(session.id)", "authrole": "\(LogText.quoted(session.authrole))", "topic": "\(LogText.quoted(topic))",
            "reason": "\(LogText.quoted(reason))", "refusedTotal": "\(counters.value(.unacknowledgedPublishRefused))",
        ])
    }

    private enum Decision {
        case decided(AuthorizationOutcome)
        case askAuthorizer(procedure: String, generation: UInt64)
    }

    private func decide(_ action: WampAction, uri: String, session: RealmSession) -> Decision {
        guard checksAuthorization.load(ordering: .relaxed), !session.isRouterItself else { return .decided(.allowedSilently) }
        let (lookup, generation) = roleTable.withLock { table in (table.lookup(role: session.authrole, uri: uri), table.generation) }
        switch lookup {
        case .everythingAllowed:
            return .decided(.allowedSilently)
        case .grant(let grant, let cacheCleared):
            if cacheCleared { reportCacheCleared(role: session.authrole, session: nil) }
            if grant.allows(action) { return .decided(grant.discloses(action) ? .allowed(disclose: true) : .allowedSilently) }
            return .decided(notAuthorized(action, uri: uri, session: session))
        case .unknownRole:
            return .decided(.denied(errorURI: ErrorURI.notAuthorized,
                                    message: "role '\(session.authrole)' is not defined in realm '\(name)'"))
        case .authorizer(let procedure):
            let key = SessionDecisions.Key(uri: uri, action: action)
            if let cached = session.authorizerDecisions.withLock({ $0.lookup(key, generation: generation) }) {
                return .decided(cached)
            }
            return .askAuthorizer(procedure: procedure, generation: generation)
        }
    }

    private func notAuthorized(_ action: WampAction, uri: String, session: RealmSession) -> AuthorizationOutcome {
        .denied(errorURI: ErrorURI.notAuthorized,
                message: "session \(session.id) (authid '\(session.authid)', authrole '\(session.authrole)') is not authorized to \(action.rawValue) '\(uri)' in realm '\(name)'")
    }

    private func reportCacheCleared(role: String, session: WampID?) {
        guard counters.add(.authorizationCacheCleared) else { return }
        logger.notice("authorization decision cache full: emptied, decisions are made again", metadata: [
            "authrole": "\(LogText.quoted(role))", "session": "\(session.map { "\($0)" } ?? "-")",
            "maxAuthorizationCacheEntries": "\(limits.maxAuthorizationCacheEntries)",
            "maxAuthorizationCacheBytes": "\(limits.maxAuthorizationCacheBytes)",
            "clearedTotal": "\(counters.value(.authorizationCacheCleared))",
        ])
    }

    // MARK: Dynamic authorizers

    private func askAuthorizer(_ procedure: String, generation: UInt64, _ action: WampAction, uri: String,
                               session: RealmSession, options: JSONValue,
                               completion: @escaping @Sendable (AuthorizationOutcome) -> Void) -> AuthorizationOutcome? {
        let handoff = OutcomeHandoff(completion)
        let arguments = JSONValue.makeArray()
        arguments.append(Realm.sessionDetails(session))
        arguments.append(string: uri)
        arguments.append(string: action.rawValue)
        arguments.append(options)
        let timeout = limits.authorizerTimeoutSeconds
        // Holds the realm until the call is settled (answer, error, timeout or the callee leaving),
        // never longer: a realm lives as long as the router anyway, and no weak reference is needed.
        callInternally(procedure: procedure, arguments: RawJSON(arguments), timeoutSeconds: timeout) { result in
            let outcome: AuthorizationOutcome
            switch AuthorizerAnswer(result) {
            case .decision(let allow, let disclose, let cache):
                outcome = allow ? .allowed(disclose: disclose && action.discloses) : self.notAuthorized(action, uri: uri, session: session)
                if cache { self.cacheAuthorizerDecision(outcome, uri: uri, action: action, session: session, generation: generation) }
            case .failed(let why):
                outcome = self.authorizerFailed(procedure, action, uri: uri, session: session, why: why, timeout: timeout)
            }
            handoff.deliver(outcome)
        }
        return handoff.returnIfDecided()
    }

    private func cacheAuthorizerDecision(_ outcome: AuthorizationOutcome, uri: String, action: WampAction,
                                         session: RealmSession, generation: UInt64) {
        // An answer to a question asked under an earlier table is not kept, nor is one for a
        // session that has left (its record is gone: nothing would ever drop the entry).
        guard roleTable.withLock({ $0.generation }) == generation, self.session(session.id) === session else { return }
        let limits = self.limits
        let cleared = session.authorizerDecisions.withLock {
            $0.insert(outcome, for: SessionDecisions.Key(uri: uri, action: action), generation: generation, limits: limits)
        }
        if cleared { reportCacheCleared(role: session.authrole, session: session.id) }
    }

    private func authorizerFailed(_ procedure: String, _ action: WampAction, uri: String, session: RealmSession,
                                  why: AuthorizerAnswer.Failure, timeout: Double) -> AuthorizationOutcome {
        let reason: String
        switch why {
        case .call(.noSuchProcedure): reason = "authorizer '\(procedure)' is not registered"
        case .call(.timeout): reason = "authorizer '\(procedure)' did not answer within \(timeout) s"
        case .call(.error(let uri, let message)):
            reason = "authorizer '\(procedure)' failed with \(uri)" + (message.map { ": \($0)" } ?? "")
        case .malformed(let what): reason = "authorizer '\(procedure)' answered \(what)"
        }
        if counters.add(.authorizerFailures) {
            logger.warning("dynamic authorizer could not decide; request denied", metadata: [
                "session": "\(session.id)", "authrole": "\(LogText.quoted(session.authrole))", "action": "\(action.rawValue)",
                "uri": "\(LogText.quoted(uri))", "reason": "\(LogText.quoted(reason))", "failuresTotal": "\(counters.value(.authorizerFailures))",
            ])
        }
        return .denied(errorURI: ErrorURI.authorizationFailed,
                       message: "failed to authorize \(action.rawValue) of '\(uri)': \(reason)")
    }
}

extension WampAction {
    /// Calls and publications have receivers that a permission's `disclose` can identify them to.
    var discloses: Bool { self == .call || self == .publish }
}

/// Hands a dynamic decision to whoever is still waiting for it: `authorize`'s return value if the
/// answer came before `authorize` returned (an authorizer that is not registered is answered on
/// the calling thread), else the completion, called once.
final class OutcomeHandoff: Sendable {
    private enum State { case asking, answeredEarly(AuthorizationOutcome), waiting, done }
    private let state = Mutex(State.asking)
    private let completion: @Sendable (AuthorizationOutcome) -> Void

    init(_ completion: @escaping @Sendable (AuthorizationOutcome) -> Void) {
        self.completion = completion
    }

    func deliver(_ outcome: AuthorizationOutcome) {
        let callNow = state.withLock { state -> Bool in
            switch state {
            case .asking:
                state = .answeredEarly(outcome)
                return false
            case .waiting:
                state = .done
                return true
            case .answeredEarly, .done:
                return false
            }
        }
        if callNow { completion(outcome) }
    }

    func returnIfDecided() -> AuthorizationOutcome? {
        state.withLock { state in
            if case .answeredEarly(let outcome) = state {
                state = .done
                return outcome
            }
            state = .waiting
            return nil
        }
    }
}
