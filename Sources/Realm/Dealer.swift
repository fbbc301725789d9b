import Logging
import Synchronization
import WampMessages

/// Remote procedure call routing for one realm, Basic and Advanced Profile.
///
/// A CALL becomes an INVOCATION under a request ID drawn from the callee's own counter (session
/// scope, from 1). The pending call is kept under that (callee, request) pair until the callee
/// answers with a final YIELD or ERROR, the call is canceled or times out, or either side leaves.
/// The lock is held only to decide; encoding and sending happen after it is released. A CALL
/// with empty options to an exact registration reads no option and builds no Details. Changes
/// that fire meta events (register, unregister, a session leaving) run under the realm's
/// membership order and put what they send into its `Outbox`.
public final class Dealer: Sendable {
    struct InvocationKey: Hashable {
        let callee: WampID
        let request: WampID
    }

    struct CallKey: Hashable {
        let caller: WampID
        let request: WampID
    }

    struct PendingCall {
        let caller: RealmSession
        let callRequest: WampID
        let callee: RealmSession
        let registration: WampID
        let receiveProgress: Bool
        /// The caller is still sending progressive CALL chunks.
        var invocationInProgress: Bool
        /// Set after CANCEL with mode `kill`: the callee was interrupted and its answer is awaited.
        var killed = false
        var timeout: (any ScheduledWork)?
        let token: UInt64
        /// When the CALL arrived (`MonotonicClock`), for the CALL-to-RESULT histogram.
        let startedAt: UInt64
    }

    struct State {
        var registrations: [WampID: Registration] = [:]
        var exact: [String: WampID] = [:]
        var prefix: [String: WampID] = [:]
        var wildcard: [String: WampID] = [:]
        /// The `prefix` and `wildcard` tables again, indexed for matching a concrete procedure.
        var patterns = PatternIndex()
        var registrationsBySession: [WampID: Set<WampID>] = [:]
        var pending: [InvocationKey: PendingCall] = [:]
        var invocationByCall: [CallKey: InvocationKey] = [:]
        var nextInvocationRequest: [WampID: WampID] = [:]
        /// CALLs per caller waiting for an answer (bounded by `maxPendingCallsPerCaller`).
        var pendingByCaller: [WampID: Int] = [:]
        /// Per caller, the request IDs of progressive invocations that ended (canceled, timed
        /// out, answered early) while the caller was still sending chunks: later chunks with such
        /// an ID are late and discarded, until the final one. Any other CALL, including one that
        /// reuses the ID of a finished call, is a new call. Bounded per caller.
        var abandonedStreams: [WampID: Set<WampID>] = [:]
        var ids = IDGenerator()
        var nextToken: UInt64 = 0
        /// Bound of `abandonedStreams` per caller.
        let abandonedStreamLimit: Int
    }

    let state: Mutex<State>
    let uris: URIValidator
    let scheduler: (any RealmScheduler)?
    let meta: (any MetaEventPublisher)?
    let membership: MembershipOrder
    let limits: RealmLimits
    let counters: RealmCounters
    let logger: Logger
    /// The cluster this dealer shares its registrations with (`attachCluster`); nil in a single
    /// process. Read on REGISTER, UNREGISTER and when callees go, never on CALL.
    let cluster = Mutex<(any DealerCluster)?>(nil)

    public init(uris: URIValidator, scheduler: (any RealmScheduler)? = nil, meta: (any MetaEventPublisher)? = nil,
                membership: MembershipOrder = MembershipOrder(), limits: RealmLimits = RealmLimits(),
                counters: RealmCounters = RealmCounters(), logger: Logger = Logger(label: "wamp-router.dealer")) {
        self.uris = uris
        self.scheduler = scheduler
        self.meta = meta
        self.membership = membership
        self.limits = limits
        self.counters = counters
        self.logger = logger
        self.state = Mutex(State(abandonedStreamLimit: max(16, limits.maxPendingCallsPerCaller)))
    }

    // MARK: REGISTER / UNREGISTER

    public func register(_ message: Register, from session: RealmSession) {
        if let cluster = cluster.withLock({ $0 }) { return registerInCluster(message, from: session, cluster: cluster) }
        membership.run { outbox in registerInOrder(message, from: session, into: &outbox) }
    }

    private func registerInOrder(_ message: Register, from session: RealmSession, into outbox: inout Outbox) {
        let match: MatchPolicy, invoke: InvokePolicy, discloseCaller: Bool
        switch checkRegister(message) {
        case .failure(let refusal): return refuse(message, refusal.uri, refusal.reason, to: session, into: &outbox)
        case .success(let checked): (match, invoke, discloseCaller) = checked
        }
        let maxRegistrations = limits.maxRegistrationsPerSession
        enum Outcome { case created(Registration), joined(WampID), conflict(String), limitReached }
        let outcome = state.withLock { state -> Outcome in
            if state.registrationsBySession[session.id]?.count ?? 0 >= maxRegistrations { return .limitReached }
            if let existingID = state.registrationID(for: message.procedure, match: match) {
                let existing = state.registrations[existingID]!
                if existing.invoke == .single || existing.invoke != invoke {
                    return .conflict("procedure '\(message.procedure)' is already registered with invocation policy '\(existing.invoke.rawValue)'")
                }
                if existing.callees.contains(where: { $0.id == session.id }) {
                    return .conflict("this session already registered '\(message.procedure)'")
                }
                state.registrations[existingID]!.callees.append(session)
                state.registrationsBySession[session.id, default: []].insert(existingID)
                return .joined(existingID)
            }
            var id = state.ids.next()
            while state.registrations[id] != nil { id = state.ids.next() }
            let registration = Registration(id: id, procedure: message.procedure, match: match, invoke: invoke,
                                            created: Timestamp.now(), discloseCaller: discloseCaller, callees: [session])
            state.registrations[id] = registration
            state.setIndex(registration.procedure, match: match, to: id)
            state.registrationsBySession[session.id, default: []].insert(id)
            return .created(registration)
        }
        switch outcome {
        case .limitReached:
            counters.add(.limitRefusals)
            refuse(message, ErrorURI.limitExceeded,
                   "this session holds \(maxRegistrations) registrations, the most allowed (--max-registrations)", to: session, into: &outbox)
        case .conflict(let reason):
            refuse(message, ErrorURI.procedureAlreadyExists, reason, to: session, into: &outbox)
        case .created(let registration):
            answerRegistered(message, registration: registration, from: session, into: &outbox)
        case .joined(let id):
            answerRegistered(message, registration: nil, id: id, from: session, into: &outbox)
        }
    }

    public func unregister(_ message: Unregister, from session: RealmSession) {
        if let cluster = cluster.withLock({ $0 }) { return unregisterInCluster(message, from: session, cluster: cluster) }
        membership.run { outbox in unregisterInOrder(message, from: session, into: &outbox) }
    }

    private func unregisterInOrder(_ message: Unregister, from session: RealmSession, into outbox: inout Outbox) {
        let deleted = state.withLock { state -> Bool? in
            guard let registration = state.registrations[message.registration],
                  registration.callees.contains(where: { $0.id == session.id }) else { return nil }
            return state.removeCallee(session.id, from: message.registration)
        }
        guard let deleted else {
            outbox.send(.error(ErrorMessage(
                requestType: .unregister, request: message.request, error: ErrorURI.noSuchRegistration,
                message: "session has no registration \(message.registration)")), to: session.peer)
            return
        }
        outbox.send(.unregistered(Unregistered(request: message.request)), to: session.peer)
        publishUnregistered(session: session.id, registration: message.registration, deleted: deleted, into: &outbox)
    }

    /// Registration revocation (`wamp.registration.remove_callee`): the callee is told with
    /// `[UNREGISTERED, 0, {registration, reason}]` if it announced the feature.
    public func removeCallee(_ sessionID: WampID, from registrationID: WampID, reason: String?) -> Bool {
        let removed = membership.run { outbox in removeCalleeInOrder(sessionID, from: registrationID, reason: reason, into: &outbox) }
        if removed, let cluster = cluster.withLock({ $0 }) { cluster.calleeRemoved(sessionID, from: [registrationID], sessionLeft: false) }
        return removed
    }

    private func removeCalleeInOrder(_ sessionID: WampID, from registrationID: WampID, reason: String?,
                                     into outbox: inout Outbox) -> Bool {
        let outcome = state.withLock { state -> (RealmSession, Bool)? in
            guard let callee = state.registrations[registrationID]?.callees.first(where: { $0.id == sessionID }) else { return nil }
            return (callee, state.removeCallee(sessionID, from: registrationID))
        }
        guard let (callee, deleted) = outcome else { return false }
        if callee.features.contains(.calleeRegistrationRevocation) {
            let details = JSONValue.makeObject()
            details.set("registration", integer: Int64(registrationID))
            if let reason { details.set("reason", string: reason) }
            outbox.send(.unregistered(Unregistered(request: 0, details: details)), to: callee.peer)
        }
        publishUnregistered(session: sessionID, registration: registrationID, deleted: deleted, into: &outbox)
        return true
    }

    // MARK: Sessions leaving

    /// Removes a leaving session from its registrations and settles every call it was part of:
    /// its callers get `wamp.error.canceled`; callees of calls it made are interrupted if they
    /// announced call canceling. `publishingMetaEvents` false: no `on_unregister`/`on_delete`
    /// from this node (a lost node's callee, which every node removes from its own copy while
    /// the lowest live node publishes its events for the whole cluster).
    public func removeSession(_ sessionID: WampID, publishingMetaEvents: Bool = true) {
        let registrations = membership.run { outbox in
            removeSessionInOrder(sessionID, publishing: publishingMetaEvents, into: &outbox)
        }
        // Also without registrations: a REGISTER of this session may be in flight in the cluster.
        if let cluster = cluster.withLock({ $0 }) { cluster.calleeRemoved(sessionID, from: registrations, sessionLeft: true) }
    }

    /// Returns the registrations the session was a callee of.
    private func removeSessionInOrder(_ sessionID: WampID, publishing: Bool, into outbox: inout Outbox) -> [WampID] {
        // In a cluster the directory, not this node's copy, knows whether the session was a
        // registration's last callee (another node's callee may be leaving at the same moment):
        // the cluster fires `on_delete` when its removal deletes the key.
        let directoryDecidesDeletion = cluster.withLock({ $0 }) != nil
        let (orphanedCallers, abandonedCallees, unregistered) = state.withLock { state in
            var unregistered: [(WampID, Bool)] = []
            for id in state.registrationsBySession[sessionID] ?? [] {
                unregistered.append((id, state.removeCallee(sessionID, from: id)))
            }
            state.nextInvocationRequest[sessionID] = nil
            var orphaned: [PendingCall] = []
            var abandoned: [(PendingCall, WampID)] = []
            for (key, pending) in state.pending where key.callee == sessionID || pending.caller.id == sessionID {
                state.settle(key)
                if pending.caller.id != sessionID {
                    orphaned.append(pending)
                } else if key.callee != sessionID {
                    abandoned.append((pending, key.request))
                }
            }
            state.abandonedStreams[sessionID] = nil
            return (orphaned, abandoned, unregistered)
        }
        for pending in orphanedCallers {
            pending.timeout?.cancel()
            outbox.send(.error(ErrorMessage(
                requestType: .call, request: pending.callRequest, error: ErrorURI.canceled,
                message: "the callee left before answering")), to: pending.caller.peer)
        }
        for (pending, request) in abandonedCallees {
            pending.timeout?.cancel()
            if pending.callee.features.contains(.calleeCallCanceling) {
                outbox.send(Dealer.interrupt(request: request, mode: .killnowait, reason: ErrorURI.canceled), to: pending.callee.peer)
            }
        }
        for (registration, deleted) in unregistered where publishing {
            publishUnregistered(session: sessionID, registration: registration, deleted: deleted && !directoryDecidesDeletion,
                                shared: true, into: &outbox)
        }
        return unregistered.map(\.0)
    }

    /// `wamp.registration.on_delete` for a registration whose last callee, `session`, left: the
    /// cluster's directory removal deleted it (see `removeSession`).
    public func publishRegistrationDeleted(session: WampID, registration: WampID) {
        membership.run { outbox in publishDeleted(session: session, registration: registration, shared: true, into: &outbox) }
    }

    // MARK: Meta API support

    public var registrationCount: Int { state.withLock { $0.registrations.count } }
    public var pendingCallCount: Int { state.withLock { $0.pending.count } }

    public func registration(_ id: WampID) -> Registration? { state.withLock { $0.registrations[id] } }

    /// IDs of all registrations by match policy (`wamp.registration.list`).
    public func registrationLists() -> (exact: [WampID], prefix: [WampID], wildcard: [WampID]) {
        state.withLock { (Array($0.exact.values), Array($0.prefix.values), Array($0.wildcard.values)) }
    }

    /// The registration with exactly this URI and policy (`wamp.registration.lookup`).
    public func lookup(procedure: String, match: MatchPolicy) -> WampID? {
        state.withLock { $0.registrationID(for: procedure, match: match) }
    }

    /// The registration a call to `procedure` would be routed to (`wamp.registration.match`).
    public func bestMatch(procedure: String) -> WampID? {
        state.withLock { $0.lookup(procedure) }
    }

    // MARK: Helpers

    func sendInterrupt(to callee: RealmSession, request: WampID, mode: CancelMode, reason: String) {
        callee.peer.send(Dealer.interrupt(request: request, mode: mode, reason: reason))
    }

    static func interrupt(request: WampID, mode: CancelMode, reason: String) -> WampMessage {
        let options = JSONValue.makeObject()
        options.set("mode", string: mode.rawValue)
        options.set("reason", string: reason)
        return .interrupt(Interrupt(request: request, options: options))
    }

    func publishUnregistered(session: WampID, registration: WampID, deleted: Bool, shared: Bool = true,
                             into outbox: inout Outbox) {
        meta?.publishMetaEvent(topic: "wamp.registration.on_unregister", arguments: {
            RawJSON(validatedText: "[\(session),\(registration)]")
        }, shared: shared, into: &outbox)
        if deleted { publishDeleted(session: session, registration: registration, shared: shared, into: &outbox) }
    }

    private func publishDeleted(session: WampID, registration: WampID, shared: Bool, into outbox: inout Outbox) {
        meta?.publishMetaEvent(topic: "wamp.registration.on_delete", arguments: {
            RawJSON(validatedText: "[\(session),\(registration)]")
        }, shared: shared, into: &outbox)
    }

    func refuse(_ message: Register, _ error: String, _ reason: String, to session: RealmSession, into outbox: inout Outbox) {
        outbox.send(.error(ErrorMessage(requestType: .register, request: message.request, error: error, message: reason)), to: session.peer)
    }

    func refuse(_ message: Call, _ error: String, _ reason: String, to session: RealmSession) {
        session.peer.send(.error(ErrorMessage(requestType: .call, request: message.request, error: error, message: reason)))
    }

    /// The next session-scope request ID of a counter (1...2^53, then 1 again), in one access.
    static func take(_ counter: inout WampID) -> WampID {
        let request = counter
        counter = request == WampIDRange.max ? 1 : request + 1
        return request
    }

    /// Why `ppt_*` options are malformed (the broker's rules for PUBLISH), or nil when they are fine.
    static func malformedPassthru(_ options: JSONValue) -> String? {
        do {
            _ = try PublicationOptions.passthru(options)
            return nil
        } catch {
            return error.message
        }
    }

    /// Payload passthru mode: `ppt_*` options travel from CALL to INVOCATION and YIELD to RESULT.
    static func copyPassthrough(from options: JSONValue, to details: JSONValue) {
        guard options.count > 0, options.contains("ppt_scheme") else { return }
        for key in PayloadPassthru.keys {
            if let value = options.value(key) { details.set(key, value) }
        }
    }
}

extension Dealer.State {
    func registrationID(for procedure: String, match: MatchPolicy) -> WampID? {
        switch match {
        case .exact: exact[procedure]
        case .prefix: prefix[procedure]
        case .wildcard: wildcard[procedure]
        }
    }

    /// Sets or (with `nil`) clears the registration of (procedure, match), in its table and, for
    /// a pattern, in the index.
    mutating func setIndex(_ procedure: String, match: MatchPolicy, to id: WampID?) {
        switch match {
        case .exact:
            exact[procedure] = id
            return
        case .prefix: prefix[procedure] = id
        case .wildcard: wildcard[procedure] = id
        }
        if let id { patterns.insert(procedure, match: match, id: id) } else { patterns.remove(procedure, match: match) }
    }

    /// Exact match first (one probe); then, only when patterns exist, the index's best match
    /// (longest prefix, else the highest-precedence wildcard), costing the URI and not the
    /// number of patterns.
    func lookup(_ procedure: String) -> WampID? {
        if let id = exact[procedure] { return id }
        // The index is kept in step with `registrations` by `setIndex`; the probe makes a CALL
        // find no procedure rather than a registration that is gone, should they ever differ.
        guard !patterns.isEmpty, let id = patterns.bestMatch(of: procedure), registrations[id] != nil else { return nil }
        return id
    }

    /// Takes one callee off a registration; returns true when that deleted the registration.
    mutating func removeCallee(_ sessionID: WampID, from registrationID: WampID) -> Bool {
        registrationsBySession[sessionID]?.remove(registrationID)
        if registrationsBySession[sessionID]?.isEmpty == true { registrationsBySession[sessionID] = nil }
        guard var registration = registrations[registrationID] else { return false }
        registration.callees.removeAll { $0.id == sessionID }
        if registration.callees.isEmpty {
            registrations[registrationID] = nil
            setIndex(registration.procedure, match: registration.match, to: nil)
            return true
        }
        registrations[registrationID] = registration
        return false
    }

    /// Forgets a pending call under both of its keys. A progressive invocation the caller was
    /// still streaming is remembered, so its late chunks are told from new calls.
    mutating func settle(_ key: Dealer.InvocationKey) {
        guard let pending = pending.removeValue(forKey: key) else { return }
        let caller = pending.caller.id
        invocationByCall[Dealer.CallKey(caller: caller, request: pending.callRequest)] = nil
        if let count = pendingByCaller[caller] { pendingByCaller[caller] = count > 1 ? count - 1 : nil }
        if pending.invocationInProgress {
            var streams = abandonedStreams[caller] ?? []
            if streams.count >= abandonedStreamLimit, let any = streams.first { streams.remove(any) }
            streams.insert(pending.callRequest)
            abandonedStreams[caller] = streams
        }
    }

    mutating func forgetAbandonedStream(caller: WampID, request: WampID) {
        abandonedStreams[caller]?.remove(request)
        if abandonedStreams[caller]?.isEmpty == true { abandonedStreams[caller] = nil }
    }
}
