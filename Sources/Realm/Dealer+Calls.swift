import RouterMetrics
import WampMessages

/// CALL -> INVOCATION, YIELD/ERROR -> RESULT/ERROR, CANCEL and call timeouts: the per-call hot
/// path, which takes only the dealer's lock and sends after releasing it.
extension Dealer {
    // MARK: CALL

    /// Routes a CALL (or a progressive continuation) to its callee, or answers the caller with
    /// ERROR. Throws when the caller breaks the protocol (a request ID reused while pending, a
    /// progressive call it did not announce). `discloseCaller`: the caller's permission
    /// (`disclose.caller`) identifies it to the callee even without `disclose_me`.
    public func call(_ message: Call, from session: RealmSession, discloseCaller discloseByPermission: Bool = false) throws(RoutingViolation) {
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
        let startedAt = Traffic.callStarted()  // metrics: CALL-to-RESULT time

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
            // Only a caller that streams invocations can have abandoned streams: no probe otherwise.
            if session.features.contains(.callerProgressiveCallInvocations),
               state.abandonedStreams[session.id]?.contains(message.request) == true {
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
                invocationInProgress: progress, token: state.nextToken, startedAt: startedAt)
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
            let invocation = WampMessage.invocation(Invocation(request: request, registration: registration, details: details, payload: message.payload))
            if let refusal = forward(invocation, to: callee.peer, session: callee.id) {
                invocationUndeliverable(refusal, callee: callee, request: request, continuing: true)
            }
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
            if hasOptions || match != .exact || discloseCaller || discloseByPermission {
                details = JSONValue.makeObject()
                if receiveProgress && callee.features.contains(.calleeProgressiveCallResults) { details.set("receive_progress", bool: true) }
                if progress { details.set("progress", bool: true) }
                // The router's own calls (authorizers, authenticators) identify nobody.
                if (discloseMe || discloseCaller || discloseByPermission) && !session.isRouterItself {
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
            let invocation = WampMessage.invocation(Invocation(request: request, registration: registration, details: details, payload: message.payload))
            if let refusal = forward(invocation, to: callee.peer, session: callee.id) {
                invocationUndeliverable(refusal, callee: callee, request: request, continuing: false)
            }
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
            let result = WampMessage.result(Result(request: pending.callRequest, details: details, payload: message.payload))
            if let refusal = forward(result, to: pending.caller.peer, session: pending.caller.id) {
                resultUndeliverable(refusal, pending: pending, calleeRequest: message.request, stillPending: true)
            }
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
            let result = WampMessage.result(Result(request: pending.callRequest, details: details, payload: message.payload))
            if let refusal = forward(result, to: pending.caller.peer, session: pending.caller.id) {
                resultUndeliverable(refusal, pending: pending, calleeRequest: message.request, stillPending: false)
            } else {
                Traffic.callAnswered(startedAt: pending.startedAt)  // metrics
            }
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
        let error = WampMessage.error(ErrorMessage(
            requestType: .call, request: pending.callRequest, details: message.details,
            error: message.error, payload: message.payload))
        if let refusal = forward(error, to: pending.caller.peer, session: pending.caller.id) {
            resultUndeliverable(refusal, pending: pending, calleeRequest: message.request, stillPending: false)
        } else {
            Traffic.errorSent(uri: message.error)  // metrics: a callee's ERROR, forwarded (router-built ones count in the session)
        }
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
        cancel(request: message.request, requested: requested, reason: ErrorURI.canceled, from: session)
    }

    /// CANCEL's decision for one of `session`'s calls; also a remote caller node's INTERRUPT
    /// (`reason` is then the one the caller's node gave, e.g. `wamp.error.timeout`).
    func cancel(request callRequest: WampID, requested: CancelMode, reason: String, from session: RealmSession) {
        enum Decision { case ignore, answerNow(PendingCall, request: WampID, interrupt: Bool), interruptOnly(PendingCall, request: WampID) }
        let decision = state.withLock { state -> Decision in
            guard let key = state.invocationByCall[CallKey(caller: session.id, request: callRequest)],
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
                sendInterrupt(to: pending.callee, request: request, mode: .killnowait, reason: reason)
            }
        case .interruptOnly(let pending, let request):
            sendInterrupt(to: pending.callee, request: request, mode: .kill, reason: reason)
        }
    }

    private func timedOut(_ key: InvocationKey, token: UInt64) {
        let pending = state.withLock { state -> PendingCall? in
            guard let pending = state.pending[key], pending.token == token else { return nil }
            state.settle(key)
            return pending
        }
        guard let pending else { return }
        Traffic.timedOut(.call)  // metrics
        pending.caller.peer.send(.error(ErrorMessage(
            requestType: .call, request: pending.callRequest, error: ErrorURI.timeout,
            message: "the callee did not answer in time")))
        if pending.callee.features.contains(.calleeCallCanceling) {
            sendInterrupt(to: pending.callee, request: key.request, mode: .killnowait, reason: ErrorURI.timeout)
        }
    }
}
