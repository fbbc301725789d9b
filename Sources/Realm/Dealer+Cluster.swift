import WampMessages

/// The dealer's side of cross-node RPC (docs/cluster.md "RPC"). The cluster decides
/// registrations and writes them here whole; a call from another node's caller enters through
/// `invokeChosen`, its cancel through `cancelFromCluster`. A remote callee is a `RealmSession`
/// whose peer forwards to its node, so the per-call state machine (progressive results and
/// invocations, cancel modes, timeouts, disclosure) is the single-process one.
extension Dealer {
    /// Shares this dealer's registrations through `cluster` from now on. Set once, before the
    /// realm takes sessions; the single-process paths never read it.
    public func attachCluster(_ cluster: any DealerCluster) {
        self.cluster.withLock { $0 = cluster }
    }

    /// Stops sharing: later REGISTERs are decided locally again.
    public func detachCluster() {
        cluster.withLock { $0 = nil }
    }

    func registerInCluster(_ message: Register, from session: RealmSession, cluster: any DealerCluster) {
        let match: MatchPolicy, invoke: InvokePolicy, discloseCaller: Bool
        switch checkRegister(message) {
        case .failure(let refusal):
            return membership.run { outbox in refuse(message, refusal.uri, refusal.reason, to: session, into: &outbox) }
        case .success(let checked): (match, invoke, discloseCaller) = checked
        }
        let maxRegistrations = limits.maxRegistrationsPerSession
        if state.withLock({ $0.registrationsBySession[session.id]?.count ?? 0 >= maxRegistrations }) {
            counters.add(.limitRefusals)
            return membership.run { outbox in
                refuse(message, ErrorURI.limitExceeded,
                       "this session holds \(maxRegistrations) registrations, the most allowed (--max-registrations)", to: session,
                       into: &outbox)
            }
        }
        let request = ClusterRegisterRequest(session: session, procedure: message.procedure, match: match, invoke: invoke,
                                             discloseCaller: discloseCaller)
        cluster.register(request) { [self] outcome in
            membership.run { outbox in
                switch outcome {
                case .refused(let uri, let reason):
                    refuse(message, uri, reason, to: session, into: &outbox)
                case .registered(let id, let created):
                    let registration = created ? state.withLock { $0.registrations[id] } : nil
                    answerRegistered(message, registration: registration, id: id, from: session, into: &outbox)
                }
            }
        }
    }

    func unregisterInCluster(_ message: Unregister, from session: RealmSession, cluster: any DealerCluster) {
        let holds = state.withLock { state in
            state.registrations[message.registration]?.callees.contains(where: { $0.id == session.id }) == true
        }
        guard holds else {
            session.peer.send(.error(ErrorMessage(
                requestType: .unregister, request: message.request, error: ErrorURI.noSuchRegistration,
                message: "session has no registration \(message.registration)")))
            return
        }
        cluster.unregister(session: session, registration: message.registration) { [self] outcome in
            membership.run { outbox in
                switch outcome {
                case .refused(let uri, let reason):
                    outbox.send(.error(ErrorMessage(requestType: .unregister, request: message.request, error: uri, message: reason)),
                                to: session.peer)
                case .unregistered(let deleted):
                    outbox.send(.unregistered(Unregistered(request: message.request)), to: session.peer)
                    publishUnregistered(session: session.id, registration: message.registration, deleted: deleted, into: &outbox)
                }
            }
        }
    }

    /// Replaces registration `id` with the cluster's view of it; `callees` empty (or a nil
    /// snapshot's `removing`) deletes it. Sends nothing: pending calls of a callee that is no
    /// longer listed go on, as after an UNREGISTER.
    public func applyClusterRegistration(_ snapshot: ClusterRegistrationSnapshot) {
        state.withLock { state in
            let old = state.registrations[snapshot.id]
            let oldIDs = Set(old?.callees.map(\.id) ?? [])
            let newIDs = Set(snapshot.callees.map(\.id))
            for gone in oldIDs.subtracting(newIDs) {
                state.registrationsBySession[gone]?.remove(snapshot.id)
                if state.registrationsBySession[gone]?.isEmpty == true { state.registrationsBySession[gone] = nil }
            }
            guard !snapshot.callees.isEmpty else {
                if let old {
                    state.registrations[snapshot.id] = nil
                    state.setIndex(old.procedure, match: old.match, to: nil)
                }
                return
            }
            // Another ID under the same URI and policy is a stale copy: the directory has one.
            if let other = state.registrationID(for: snapshot.procedure, match: snapshot.match), other != snapshot.id,
               let stale = state.registrations.removeValue(forKey: other) {
                for callee in stale.callees { state.registrationsBySession[callee.id]?.remove(other) }
            }
            for added in newIDs.subtracting(oldIDs) { state.registrationsBySession[added, default: []].insert(snapshot.id) }
            var registration = Registration(
                id: snapshot.id, procedure: snapshot.procedure, match: snapshot.match, invoke: snapshot.invoke,
                created: snapshot.created, discloseCaller: snapshot.discloseCaller, callees: snapshot.callees)
            registration.nextRoundRobin = old?.nextRoundRobin ?? 0
            state.registrations[snapshot.id] = registration
            if old == nil { state.setIndex(snapshot.procedure, match: snapshot.match, to: snapshot.id) }
        }
    }

    /// The registration `id`'s callee IDs in order (nil when it does not exist).
    public func calleeIDs(of id: WampID) -> [WampID]? {
        state.withLock { $0.registrations[id]?.callees.map(\.id) }
    }

    /// How many calls wait for `calleeID`'s answer (a remote callee that left every
    /// registration is forgotten once this is 0).
    /// The INVOCATION request IDs pending at `calleeID` (a remote callee whose answers may have
    /// been lost with a cluster connection).
    public func pendingInvocationRequests(callee calleeID: WampID) -> [WampID] {
        state.withLock { state in state.pending.keys.filter { $0.callee == calleeID }.map(\.request) }
    }

    public func pendingCallCount(callee calleeID: WampID) -> Int {
        state.withLock { state in state.pending.keys.reduce(0) { $0 + ($1.callee == calleeID ? 1 : 0) } }
    }

    /// An INVOCATION decided on another node for this node's callee `calleeID`: `caller` stands
    /// for that node (one session per caller node and callee), `callRequest` is the caller node's
    /// request ID towards the callee, `details` the INVOCATION details it built (disclosure,
    /// progress, passthru). A chunk of a progressive invocation continues the call it belongs to.
    /// Answers go to `caller.peer` as RESULT/ERROR for `callRequest`; a call beyond
    /// `maxPending` for this caller, or to a callee that is gone, is answered with ERROR at once.
    public func invokeChosen(callRequest: WampID, calleeID: WampID, registration registrationID: WampID, details: JSONValue,
                             payload: Payload, maxPending: Int, from caller: RealmSession) {
        let progress = details.count > 0 && details.bool("progress") == true
        let receiveProgress = details.count > 0 && details.bool("receive_progress") == true
        enum Decision {
            case invoke(RealmSession, WampID), continueInvocation(RealmSession, WampID), discard
            case refuse(String, String)
        }
        let decision = state.withLock { state -> Decision in
            let callKey = CallKey(caller: caller.id, request: callRequest)
            if let invocationKey = state.invocationByCall[callKey] {
                guard state.pending[invocationKey]!.invocationInProgress else {
                    return .refuse(ErrorURI.protocolViolation, "request \(callRequest) is already in use by a pending call")
                }
                if !progress { state.pending[invocationKey]!.invocationInProgress = false }
                return .continueInvocation(state.pending[invocationKey]!.callee, invocationKey.request)
            }
            if state.abandonedStreams[caller.id]?.contains(callRequest) == true {
                if !progress { state.forgetAbandonedStream(caller: caller.id, request: callRequest) }
                return .discard
            }
            guard state.pendingByCaller[caller.id, default: 0] < maxPending else {
                return .refuse(ErrorURI.limitExceeded, "this callee has \(maxPending) calls pending from that node, the most allowed")
            }
            guard let callee = state.registrations[registrationID]?.callees.first(where: { $0.id == calleeID }) else {
                return .refuse(ErrorURI.noSuchProcedure, "the callee is no longer registered on its node")
            }
            let request = Dealer.take(&state.nextInvocationRequest[callee.id, default: 1])
            let invocationKey = InvocationKey(callee: callee.id, request: request)
            state.nextToken &+= 1
            state.pending[invocationKey] = PendingCall(
                caller: caller, callRequest: callRequest, callee: callee, registration: registrationID,
                receiveProgress: receiveProgress, invocationInProgress: progress, token: state.nextToken, startedAt: 0)
            state.invocationByCall[callKey] = invocationKey
            state.pendingByCaller[caller.id, default: 0] += 1
            return .invoke(callee, request)
        }
        switch decision {
        case .discard:
            return
        case .refuse(let uri, let reason):
            caller.peer.send(.error(ErrorMessage(requestType: .call, request: callRequest, error: uri, message: reason)))
        case .invoke(let callee, let request), .continueInvocation(let callee, let request):
            let continuing: Bool
            if case .continueInvocation = decision { continuing = true } else { continuing = false }
            let invocation = WampMessage.invocation(Invocation(request: request, registration: registrationID, details: details,
                                                               payload: payload))
            if let refusal = forward(invocation, to: callee.peer, session: callee.id) {
                invocationUndeliverable(refusal, callee: callee, request: request, continuing: continuing)
            }
        }
    }

    /// A remote caller node's INTERRUPT for the call it made as `caller` with `callRequest`.
    public func cancelFromCluster(callRequest: WampID, mode: CancelMode, reason: String, from caller: RealmSession) {
        cancel(request: callRequest, requested: mode, reason: reason, from: caller)
    }
}
