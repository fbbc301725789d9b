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
    }

    struct State {
        var registrations: [WampID: Registration] = [:]
        var exact: [String: WampID] = [:]
        var prefix: [String: WampID] = [:]
        var wildcard: [String: WampID] = [:]
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

    private let state: Mutex<State>
    private let uris: URIValidator
    private let scheduler: (any RealmScheduler)?
    private let meta: (any MetaEventPublisher)?
    private let membership: MembershipOrder
    let limits: RealmLimits
    let counters: RealmCounters
    private let logger: Logger

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
        membership.run { outbox in registerInOrder(message, from: session, into: &outbox) }
    }

    private func registerInOrder(_ message: Register, from session: RealmSession, into outbox: inout Outbox) {
        let options = message.options
        let hasOptions = options.count > 0
        guard let match = MatchPolicy(option: hasOptions ? options.string("match") : nil) else {
            return refuse(message, ErrorURI.invalidArgument, "unknown match policy '\(options.string("match") ?? "")'", to: session, into: &outbox)
        }
        guard let invoke = InvokePolicy(option: hasOptions ? options.string("invoke") : nil) else {
            return refuse(message, ErrorURI.invalidArgument, "unknown invocation policy '\(options.string("invoke") ?? "")'", to: session, into: &outbox)
        }
        let validURI = match == .wildcard ? uris.isValidWildcard(message.procedure) : uris.isValid(message.procedure)
        guard validURI else {
            return refuse(message, ErrorURI.invalidURI, "'\(message.procedure)' is not a valid procedure URI", to: session, into: &outbox)
        }
        guard !message.procedure.hasPrefix("wamp.") else {
            return refuse(message, ErrorURI.invalidURI, "procedure '\(message.procedure)' is under the reserved prefix 'wamp.'",
                          to: session, into: &outbox)
        }
        let discloseCaller = hasOptions && options.bool("disclose_caller") == true
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
            outbox.send(.registered(Registered(request: message.request, registration: registration.id)), to: session.peer)
            meta?.publishMetaEvent(topic: "wamp.registration.on_create", arguments: {
                RawJSON(validatedText: "[\(session.id),\(registration.details.jsonText)]")
            }, into: &outbox)
            meta?.publishMetaEvent(topic: "wamp.registration.on_register", arguments: {
                RawJSON(validatedText: "[\(session.id),\(registration.id)]")
            }, into: &outbox)
        case .joined(let id):
            outbox.send(.registered(Registered(request: message.request, registration: id)), to: session.peer)
            meta?.publishMetaEvent(topic: "wamp.registration.on_register", arguments: {
                RawJSON(validatedText: "[\(session.id),\(id)]")
            }, into: &outbox)
        }
    }

    public func unregister(_ message: Unregister, from session: RealmSession) {
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
        membership.run { outbox in removeCalleeInOrder(sessionID, from: registrationID, reason: reason, into: &outbox) }
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
        if passthru, let invalid = Dealer.malformedPassthru(options) {
            return refuse(message, ErrorURI.invalidArgument, invalid, to: session)
        }
        let maxPending = limits.maxPendingCallsPerCaller

        enum Decision {
            case invoke(callee: RealmSession, request: WampID, registration: WampID, match: MatchPolicy, discloseCaller: Bool, token: UInt64)
            case continueInvocation(callee: RealmSession, request: WampID, registration: WampID)
            case discardLateContinuation
            case noSuchProcedure
            case featureNotSupported(String)
            case requestInUse
            case tooManyPending
        }
        let decision = state.withLock { state -> Decision in
            let callKey = CallKey(caller: session.id, request: message.request)
            if let invocationKey = state.invocationByCall[callKey] {
                guard state.pending[invocationKey]!.invocationInProgress else { return .requestInUse }
                if !progress { state.pending[invocationKey]!.invocationInProgress = false }
                let pending = state.pending[invocationKey]!
                return .continueInvocation(callee: pending.callee, request: invocationKey.request, registration: pending.registration)
            }
            if state.abandonedStreams[session.id]?.contains(message.request) == true {
                if !progress { state.forgetAbandonedStream(caller: session.id, request: message.request) }
                return .discardLateContinuation
            }
            guard state.pendingByCaller[session.id, default: 0] < maxPending else { return .tooManyPending }
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
            state.pendingByCaller[session.id, default: 0] += 1
            return .invoke(callee: callee, request: request, registration: registrationID, match: match,
                           discloseCaller: discloseCaller, token: state.nextToken)
        }

        switch decision {
        case .requestInUse:
            throw RoutingViolation("CALL request ID \(message.request) is already in use by a pending call")
        case .tooManyPending:
            counters.add(.limitRefusals)
            refuse(message, ErrorURI.limitExceeded,
                   "this caller has \(maxPending) calls pending, the most allowed (--max-pending-calls)", to: session)
        case .noSuchProcedure:
            refuse(message, ErrorURI.noSuchProcedure, "no callee registered procedure '\(message.procedure)'", to: session)
        case .featureNotSupported(let reason):
            refuse(message, ErrorURI.featureNotSupported, reason, to: session)
        case .discardLateContinuation:
            logger.debug("late progressive CALL chunk of an ended call discarded", metadata: [
                "session": "\(session.id)", "request": "\(message.request)",
            ])
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
        let malformed = passthru ? Dealer.malformedPassthru(options) : nil
        enum Decision {
            case unknown, discard, progress(PendingCall), final(PendingCall), callerLacksPassthru(PendingCall)
            case malformedPassthru(PendingCall, String)
        }
        let decision = state.withLock { state -> Decision in
            let key = InvocationKey(callee: session.id, request: message.request)
            guard let pending = state.pending[key] else { return .unknown }
            if let malformed {
                state.settle(key)
                return .malformedPassthru(pending, malformed)
            }
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
        case .malformedPassthru(let pending, let why):
            // Checked as the broker checks PUBLISH; the caller must not wait forever either.
            pending.timeout?.cancel()
            session.peer.send(.error(ErrorMessage(
                requestType: .yield, request: message.request, error: ErrorURI.invalidArgument, message: why)))
            pending.caller.peer.send(.error(ErrorMessage(
                requestType: .call, request: pending.callRequest, error: ErrorURI.invalidArgument,
                message: "the callee answered with malformed payload passthru options: \(why)")))
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
        membership.run { outbox in removeSessionInOrder(sessionID, into: &outbox) }
    }

    private func removeSessionInOrder(_ sessionID: WampID, into outbox: inout Outbox) {
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
        for (registration, deleted) in unregistered {
            publishUnregistered(session: sessionID, registration: registration, deleted: deleted, into: &outbox)
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
        callee.peer.send(Dealer.interrupt(request: request, mode: mode, reason: reason))
    }

    private static func interrupt(request: WampID, mode: CancelMode, reason: String) -> WampMessage {
        let options = JSONValue.makeObject()
        options.set("mode", string: mode.rawValue)
        options.set("reason", string: reason)
        return .interrupt(Interrupt(request: request, options: options))
    }

    private func publishUnregistered(session: WampID, registration: WampID, deleted: Bool, into outbox: inout Outbox) {
        meta?.publishMetaEvent(topic: "wamp.registration.on_unregister", arguments: {
            RawJSON(validatedText: "[\(session),\(registration)]")
        }, into: &outbox)
        if deleted {
            meta?.publishMetaEvent(topic: "wamp.registration.on_delete", arguments: {
                RawJSON(validatedText: "[\(session),\(registration)]")
            }, into: &outbox)
        }
    }

    private func refuse(_ message: Register, _ error: String, _ reason: String, to session: RealmSession, into outbox: inout Outbox) {
        outbox.send(.error(ErrorMessage(requestType: .register, request: message.request, error: error, message: reason)), to: session.peer)
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

    mutating func setIndex(_ procedure: String, match: MatchPolicy, to id: WampID?) {
        switch match {
        case .exact: exact[procedure] = id
        case .prefix: prefix[procedure] = id
        case .wildcard: wildcard[procedure] = id
        }
    }

    /// Exact match first (one probe); patterns are scanned only when some exist.
    func lookup(_ procedure: String) -> WampID? {
        if let id = exact[procedure] { return id }
        var best: (pattern: String, id: WampID)?
        if !prefix.isEmpty {
            for (pattern, id) in prefix where MatchPolicy.prefix.matches(pattern: pattern, uri: procedure) {
                if best == nil || PatternPrecedence.prefix(pattern, isBetterThan: best!.pattern) { best = (pattern, id) }
            }
            if let best { return best.id }
        }
        if !wildcard.isEmpty {
            for (pattern, id) in wildcard where MatchPolicy.wildcard.matches(pattern: pattern, uri: procedure) {
                if best == nil || PatternPrecedence.wildcard(pattern, isBetterThan: best!.pattern) { best = (pattern, id) }
            }
        }
        return best?.id
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
