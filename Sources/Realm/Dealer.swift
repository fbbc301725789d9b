import Synchronization
import WampMessages

/// Remote procedure call routing for one realm, Basic and Advanced Profile.
///
/// A CALL becomes an INVOCATION under a request ID drawn from the callee's own counter (session
/// scope, from 1). The pending call is kept under that (callee, request) pair until the callee
/// answers with a final YIELD or ERROR, the call is canceled or times out, or either side leaves.
/// The lock is held only to decide; encoding and sending happen after it is released. A CALL
/// with empty options to an exact registration reads no option and builds no Details.
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
        /// Highest CALL request ID per caller that announced progressive call invocations: a
        /// continuation at or below it that matches no call in progress is late, and discarded.
        var callWatermark: [WampID: WampID] = [:]
        var ids = IDGenerator()
        var nextToken: UInt64 = 0
    }

    private let state = Mutex(State())
    private let uris: URIValidator
    private let scheduler: (any RealmScheduler)?
    private let meta: (any MetaEventPublisher)?
    private let membership: MembershipOrder

    public init(uris: URIValidator, scheduler: (any RealmScheduler)? = nil, meta: (any MetaEventPublisher)? = nil,
                membership: MembershipOrder = MembershipOrder()) {
        self.uris = uris
        self.scheduler = scheduler
        self.meta = meta
        self.membership = membership
    }

    // MARK: REGISTER / UNREGISTER

    public func register(_ message: Register, from session: RealmSession) {
        membership.run { registerInOrder(message, from: session) }
    }

    private func registerInOrder(_ message: Register, from session: RealmSession) {
        let options = message.options
        let hasOptions = options.count > 0
        guard let match = MatchPolicy(option: hasOptions ? options.string("match") : nil) else {
            return refuse(message, ErrorURI.invalidArgument, "unknown match policy '\(options.string("match") ?? "")'", to: session)
        }
        guard let invoke = InvokePolicy(option: hasOptions ? options.string("invoke") : nil) else {
            return refuse(message, ErrorURI.invalidArgument, "unknown invocation policy '\(options.string("invoke") ?? "")'", to: session)
        }
        let validURI = match == .wildcard ? uris.isValidWildcard(message.procedure) : uris.isValid(message.procedure)
        guard validURI else {
            return refuse(message, ErrorURI.invalidURI, "'\(message.procedure)' is not a valid procedure URI", to: session)
        }
        guard !message.procedure.hasPrefix("wamp.") else {
            return refuse(message, ErrorURI.invalidURI, "procedure '\(message.procedure)' is under the reserved prefix 'wamp.'", to: session)
        }
        let discloseCaller = hasOptions && options.bool("disclose_caller") == true
        enum Outcome { case created(Registration), joined(WampID), conflict(String) }
        let outcome = state.withLock { state -> Outcome in
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
        case .conflict(let reason):
            refuse(message, ErrorURI.procedureAlreadyExists, reason, to: session)
        case .created(let registration):
            session.peer.send(.registered(Registered(request: message.request, registration: registration.id)))
            meta?.publishMetaEvent(topic: "wamp.registration.on_create") { RawJSON(validatedText: "[\(session.id),\(registration.details.jsonText)]") }
            meta?.publishMetaEvent(topic: "wamp.registration.on_register") { RawJSON(validatedText: "[\(session.id),\(registration.id)]") }
        case .joined(let id):
            session.peer.send(.registered(Registered(request: message.request, registration: id)))
            meta?.publishMetaEvent(topic: "wamp.registration.on_register") { RawJSON(validatedText: "[\(session.id),\(id)]") }
        }
    }

    public func unregister(_ message: Unregister, from session: RealmSession) {
        membership.run { unregisterInOrder(message, from: session) }
    }

    private func unregisterInOrder(_ message: Unregister, from session: RealmSession) {
        let deleted = state.withLock { state -> Bool? in
            guard let registration = state.registrations[message.registration],
                  registration.callees.contains(where: { $0.id == session.id }) else { return nil }
            return state.removeCallee(session.id, from: message.registration)
        }
        guard let deleted else {
            session.peer.send(.error(ErrorMessage(
                requestType: .unregister, request: message.request, error: ErrorURI.noSuchRegistration,
                message: "session has no registration \(message.registration)")))
            return
        }
        session.peer.send(.unregistered(Unregistered(request: message.request)))
        publishUnregistered(session: session.id, registration: message.registration, deleted: deleted)
    }

    /// Registration revocation (`wamp.registration.remove_callee`): the callee is told with
    /// `[UNREGISTERED, 0, {registration, reason}]` if it announced the feature.
    public func removeCallee(_ sessionID: WampID, from registrationID: WampID, reason: String?) -> Bool {
        membership.run { removeCalleeInOrder(sessionID, from: registrationID, reason: reason) }
    }

    private func removeCalleeInOrder(_ sessionID: WampID, from registrationID: WampID, reason: String?) -> Bool {
        let outcome = state.withLock { state -> (RealmSession, Bool)? in
            guard let callee = state.registrations[registrationID]?.callees.first(where: { $0.id == sessionID }) else { return nil }
            return (callee, state.removeCallee(sessionID, from: registrationID))
        }
        guard let (callee, deleted) = outcome else { return false }
        if callee.features.contains(.calleeRegistrationRevocation) {
            let details = JSONValue.makeObject()
            details.set("registration", integer: Int64(registrationID))
            if let reason { details.set("reason", string: reason) }
            callee.peer.send(.unregistered(Unregistered(request: 0, details: details)))
        }
        publishUnregistered(session: sessionID, registration: registrationID, deleted: deleted)
        return true
    }

    // MARK: CALL

    /// Routes a CALL (or a progressive continuation) to its callee, or answers the caller with
    /// ERROR. Throws when the caller breaks the protocol (a request ID reused while pending, a
    /// progressive call it did not announce).
    public func call(_ message: Call, from session: RealmSession) throws(RoutingViolation) {
        guard uris.isValid(message.procedure) else {
            return refuse(message, ErrorURI.invalidURI, "'\(message.procedure)' is not a valid procedure URI", to: session)
        }
        let options = message.options
        let hasOptions = options.count > 0
        let receiveProgress = hasOptions && options.bool("receive_progress") == true
        let progress = hasOptions && options.bool("progress") == true
        let discloseMe = hasOptions && options.bool("disclose_me") == true
        let timeout = hasOptions ? max(0, options.integer("timeout") ?? 0) : 0
        if progress && !session.features.contains(.callerProgressiveCallInvocations) {
            throw RoutingViolation("CALL with progress=true from a caller that did not announce progressive_call_invocations")
        }
        let passthru = PayloadPassthru.isUsed(by: options)
        if passthru && !session.features.contains(.callerPayloadPassthru) {
            throw RoutingViolation("CALL uses payload passthru mode, which the caller did not announce")
        }

        enum Decision {
            case invoke(callee: RealmSession, request: WampID, registration: WampID, match: MatchPolicy, discloseCaller: Bool, token: UInt64)
            case continueInvocation(callee: RealmSession, request: WampID, registration: WampID)
            case discardLateContinuation
            case noSuchProcedure
            case featureNotSupported(String)
            case requestInUse
        }
        let decision = state.withLock { state -> Decision in
            let callKey = CallKey(caller: session.id, request: message.request)
            if let invocationKey = state.invocationByCall[callKey] {
                guard state.pending[invocationKey]!.invocationInProgress else { return .requestInUse }
                if !progress { state.pending[invocationKey]!.invocationInProgress = false }
                let pending = state.pending[invocationKey]!
                return .continueInvocation(callee: pending.callee, request: invocationKey.request, registration: pending.registration)
            }
            if session.features.contains(.callerProgressiveCallInvocations) {
                if let watermark = state.callWatermark[session.id], message.request <= watermark { return .discardLateContinuation }
                state.callWatermark[session.id] = message.request
            }
            guard let registrationID = state.lookup(message.procedure) else { return .noSuchProcedure }
            let (callee, match, discloseCaller) = state.registrations[registrationID]!.route()
            if passthru && !callee.features.contains(.calleePayloadPassthru) {
                return .featureNotSupported("the callee of '\(message.procedure)' does not support payload passthru mode")
            }
            if progress && !(callee.features.contains(.calleeProgressiveCallInvocations) && callee.features.contains(.calleeCallCanceling)) {
                return .featureNotSupported("the callee of '\(message.procedure)' does not support progressive call invocations")
            }
            let request = Dealer.take(&state.nextInvocationRequest[callee.id, default: 1])
            let invocationKey = InvocationKey(callee: callee.id, request: request)
            state.nextToken &+= 1
            state.pending[invocationKey] = PendingCall(
                caller: session, callRequest: message.request, callee: callee, registration: registrationID,
                receiveProgress: receiveProgress && callee.features.contains(.calleeProgressiveCallResults),
                invocationInProgress: progress, token: state.nextToken)
            state.invocationByCall[callKey] = invocationKey
            return .invoke(callee: callee, request: request, registration: registrationID, match: match,
                           discloseCaller: discloseCaller, token: state.nextToken)
        }

        switch decision {
        case .requestInUse:
            throw RoutingViolation("CALL request ID \(message.request) is already in use by a pending call")
        case .noSuchProcedure:
            refuse(message, ErrorURI.noSuchProcedure, "no callee registered procedure '\(message.procedure)'", to: session)
        case .featureNotSupported(let reason):
            refuse(message, ErrorURI.featureNotSupported, reason, to: session)
        case .discardLateContinuation:
            break
        case .continueInvocation(let callee, let request, let registration):
            let details = JSONValue.makeObject()
            if progress { details.set("progress", bool: true) }
            Dealer.copyPassthrough(from: options, to: details)
            callee.peer.send(.invocation(Invocation(request: request, registration: registration, details: details, payload: message.payload)))
        case .invoke(let callee, let request, let registration, let match, let discloseCaller, let token):
            if timeout > 0, let scheduler {
                let key = InvocationKey(callee: callee.id, request: request)
                let work = scheduler.schedule(afterMilliseconds: timeout) { [weak self] in self?.timedOut(key, token: token) }
                let stored = state.withLock { state -> Bool in
                    guard state.pending[key]?.token == token else { return false }
                    state.pending[key]!.timeout = work
                    return true
                }
                if !stored { work.cancel() }
            }
            let details: JSONValue
            if hasOptions || match != .exact || discloseCaller {
                details = JSONValue.makeObject()
                if receiveProgress && callee.features.contains(.calleeProgressiveCallResults) { details.set("receive_progress", bool: true) }
                if progress { details.set("progress", bool: true) }
                if discloseMe || discloseCaller {
                    details.set("caller", integer: Int64(session.id))
                    details.set("caller_authid", string: session.authid)
                    details.set("caller_authrole", string: session.authrole)
                }
                if match != .exact { details.set("procedure", string: message.procedure) }
                if timeout > 0 && callee.features.contains(.calleeCallTimeout) && scheduler == nil {
                    details.set("timeout", integer: timeout)
                }
                Dealer.copyPassthrough(from: options, to: details)
            } else {
                details = .emptyObject
            }
            callee.peer.send(.invocation(Invocation(request: request, registration: registration, details: details, payload: message.payload)))
        }
    }

    // MARK: YIELD / ERROR

    /// The callee's result. A progressive YIELD goes to the caller as RESULT with
    /// `progress=true` and keeps the call open. Returns false when it matched no pending call
    /// (finished, canceled, or the caller left); the router logs that.
    @discardableResult
    public func yield(_ message: Yield, from session: RealmSession) throws(RoutingViolation) -> Bool {
        let options = message.options
        let progress = options.count > 0 && options.bool("progress") == true
        let passthru = PayloadPassthru.isUsed(by: options)
        if passthru && !session.features.contains(.calleePayloadPassthru) {
            throw RoutingViolation("YIELD uses payload passthru mode, which the callee did not announce")
        }
        enum Decision { case unknown, discard, progress(PendingCall), final(PendingCall), callerLacksPassthru(PendingCall) }
        let decision = state.withLock { state -> Decision in
            let key = InvocationKey(callee: session.id, request: message.request)
            guard let pending = state.pending[key] else { return .unknown }
            if passthru && !pending.caller.features.contains(.callerPayloadPassthru) {
                state.settle(key)
                return .callerLacksPassthru(pending)
            }
            if progress {
                return pending.receiveProgress && !pending.killed ? .progress(pending) : .discard
            }
            state.settle(key)
            return .final(pending)
        }
        switch decision {
        case .unknown:
            return false
        case .discard:
            return true
        case .callerLacksPassthru(let pending):
            // The spec makes this the callee's application error; the caller must not wait forever.
            pending.timeout?.cancel()
            session.peer.send(.error(ErrorMessage(
                requestType: .yield, request: message.request, error: ErrorURI.featureNotSupported,
                message: "the caller does not support payload passthru mode")))
            pending.caller.peer.send(.error(ErrorMessage(
                requestType: .call, request: pending.callRequest, error: ErrorURI.featureNotSupported,
                message: "the callee answered in payload passthru mode, which this caller did not announce")))
            return true
        case .progress(let pending):
            let details = JSONValue.makeObject()
            details.set("progress", bool: true)
            Dealer.copyPassthrough(from: options, to: details)
            pending.caller.peer.send(.result(Result(request: pending.callRequest, details: details, payload: message.payload)))
            return true
        case .final(let pending):
            pending.timeout?.cancel()
            let details: JSONValue
            if options.count > 0 {
                details = JSONValue.makeObject()
                Dealer.copyPassthrough(from: options, to: details)
            } else {
                details = .emptyObject
            }
            pending.caller.peer.send(.result(Result(request: pending.callRequest, details: details, payload: message.payload)))
            return true
        }
    }

    /// A callee's ERROR for an INVOCATION: ERROR to the caller with the same URI and payload.
    @discardableResult
    public func invocationError(_ message: ErrorMessage, from session: RealmSession) -> Bool {
        let pending = state.withLock { state -> PendingCall? in
            let key = InvocationKey(callee: session.id, request: message.request)
            guard let pending = state.pending[key] else { return nil }
            state.settle(key)
            return pending
        }
        guard let pending else { return false }
        pending.timeout?.cancel()
        pending.caller.peer.send(.error(ErrorMessage(
            requestType: .call, request: pending.callRequest, details: message.details,
            error: message.error, payload: message.payload)))
        return true
    }

    // MARK: CANCEL and timeouts

    /// CANCEL from a caller. Mode `killnowait` unless the caller says otherwise; a callee that did
    /// not announce call canceling is treated as `skip`. CANCEL of a finished call is ignored.
    public func cancel(_ message: Cancel, from session: RealmSession) {
        let modeOption = message.options.count > 0 ? message.options.string("mode") : nil
        guard let requested = modeOption.map(CancelMode.init(rawValue:)) ?? .killnowait else {
            session.peer.send(.error(ErrorMessage(
                requestType: .cancel, request: message.request, error: ErrorURI.invalidArgument,
                message: "unknown cancel mode '\(modeOption ?? "")'")))
            return
        }
        enum Decision { case ignore, answerNow(PendingCall, request: WampID, interrupt: Bool), interruptOnly(PendingCall, request: WampID) }
        let decision = state.withLock { state -> Decision in
            guard let key = state.invocationByCall[CallKey(caller: session.id, request: message.request)],
                  let pending = state.pending[key], !pending.killed else { return .ignore }
            let mode = pending.callee.features.contains(.calleeCallCanceling) ? requested : .skip
            switch mode {
            case .skip, .killnowait:
                state.settle(key)
                return .answerNow(pending, request: key.request, interrupt: mode == .killnowait)
            case .kill:
                state.pending[key]!.killed = true
                return .interruptOnly(pending, request: key.request)
            }
        }
        switch decision {
        case .ignore:
            break
        case .answerNow(let pending, let request, let interrupt):
            pending.timeout?.cancel()
            pending.caller.peer.send(.error(ErrorMessage(
                requestType: .call, request: pending.callRequest, error: ErrorURI.canceled,
                message: "the call was canceled")))
            if interrupt {
                sendInterrupt(to: pending.callee, request: request, mode: .killnowait, reason: ErrorURI.canceled)
            }
        case .interruptOnly(let pending, let request):
            sendInterrupt(to: pending.callee, request: request, mode: .kill, reason: ErrorURI.canceled)
        }
    }

    private func timedOut(_ key: InvocationKey, token: UInt64) {
        let pending = state.withLock { state -> PendingCall? in
            guard let pending = state.pending[key], pending.token == token else { return nil }
            state.settle(key)
            return pending
        }
        guard let pending else { return }
        pending.caller.peer.send(.error(ErrorMessage(
            requestType: .call, request: pending.callRequest, error: ErrorURI.timeout,
            message: "the callee did not answer in time")))
        if pending.callee.features.contains(.calleeCallCanceling) {
            sendInterrupt(to: pending.callee, request: key.request, mode: .killnowait, reason: ErrorURI.timeout)
        }
    }

    // MARK: Sessions leaving

    /// Removes a leaving session from its registrations and settles every call it was part of:
    /// its callers get `wamp.error.canceled`; callees of calls it made are interrupted if they
    /// announced call canceling.
    public func removeSession(_ sessionID: WampID) {
        membership.run { removeSessionInOrder(sessionID) }
    }

    private func removeSessionInOrder(_ sessionID: WampID) {
        let (orphanedCallers, abandonedCallees, unregistered) = state.withLock { state in
            var unregistered: [(WampID, Bool)] = []
            for id in state.registrationsBySession[sessionID] ?? [] {
                unregistered.append((id, state.removeCallee(sessionID, from: id)))
            }
            state.nextInvocationRequest[sessionID] = nil
            state.callWatermark[sessionID] = nil
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
            return (orphaned, abandoned, unregistered)
        }
        for pending in orphanedCallers {
            pending.timeout?.cancel()
            pending.caller.peer.send(.error(ErrorMessage(
                requestType: .call, request: pending.callRequest, error: ErrorURI.canceled,
                message: "the callee left before answering")))
        }
        for (pending, request) in abandonedCallees {
            pending.timeout?.cancel()
            if pending.callee.features.contains(.calleeCallCanceling) {
                sendInterrupt(to: pending.callee, request: request, mode: .killnowait, reason: ErrorURI.canceled)
            }
        }
        for (registration, deleted) in unregistered {
            publishUnregistered(session: sessionID, registration: registration, deleted: deleted)
        }
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

    private func sendInterrupt(to callee: RealmSession, request: WampID, mode: CancelMode, reason: String) {
        let options = JSONValue.makeObject()
        options.set("mode", string: mode.rawValue)
        options.set("reason", string: reason)
        callee.peer.send(.interrupt(Interrupt(request: request, options: options)))
    }

    private func publishUnregistered(session: WampID, registration: WampID, deleted: Bool) {
        meta?.publishMetaEvent(topic: "wamp.registration.on_unregister") { RawJSON(validatedText: "[\(session),\(registration)]") }
        if deleted {
            meta?.publishMetaEvent(topic: "wamp.registration.on_delete") { RawJSON(validatedText: "[\(session),\(registration)]") }
        }
    }

    private func refuse(_ message: Register, _ error: String, _ reason: String, to session: RealmSession) {
        session.peer.send(.error(ErrorMessage(requestType: .register, request: message.request, error: error, message: reason)))
    }

    private func refuse(_ message: Call, _ error: String, _ reason: String, to session: RealmSession) {
        session.peer.send(.error(ErrorMessage(requestType: .call, request: message.request, error: error, message: reason)))
    }

    /// The next session-scope request ID of a counter (1...2^53, then 1 again), in one access.
    static func take(_ counter: inout WampID) -> WampID {
        let request = counter
        counter = request == WampIDRange.max ? 1 : request + 1
        return request
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

    /// Forgets a pending call under both of its keys.
    mutating func settle(_ key: Dealer.InvocationKey) {
        guard let pending = pending.removeValue(forKey: key) else { return }
        invocationByCall[Dealer.CallKey(caller: pending.caller.id, request: pending.callRequest)] = nil
    }
}
