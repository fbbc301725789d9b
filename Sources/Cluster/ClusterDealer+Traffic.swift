import NATSClient
import NIOCore
import Realm
import WampMessages

/// The per-call traffic between nodes: INVOCATION/INTERRUPT arriving for this node's callees,
/// RESULT/ERROR arriving for this node's callers, announcements to apply and acknowledge. All of
/// it runs on the connection's event loop; nothing here holds a lock while the dealer sends.
extension ClusterDealer {
    /// The sending node, the callee and the WAMP message of a call's NATS message; nil (logged)
    /// for one that is not ours to read.
    private func decode(_ message: NATSMessage) -> (node: Int, callee: WampID, message: WampMessage)? {
        guard let headers = message.headers,
              let node = headers[ClusterSubjects.node].flatMap(Int.init), (1...1023).contains(node),
              let callee = headers[ClusterSubjects.callee].flatMap(WampID.init),
              let serialization = headers[ClusterSubjects.serialization].flatMap(UInt8.init).flatMap(WampSerialization.init(rawValue:))
        else {
            logger.notice("cluster message without its headers dropped", metadata: ["subject": "\(message.subject)"])
            return nil
        }
        do {
            return (node, callee, try serialization.decode(message.payload))
        } catch {
            logger.notice("cluster message that does not decode dropped", metadata: ["subject": "\(message.subject)", "why": "\(error)"])
            return nil
        }
    }

    /// The stand-in of node `slot`'s callers towards local callee `callee`, made on first use;
    /// nil when the callee is not (or no longer) this node's.
    private func remoteCaller(slot callerSlot: Int, callee: WampID) -> RealmSession? {
        state.withLock { state in
            let key = NodeSession(slot: callerSlot, session: callee)
            if let existing = state.remoteCallers[key] { return existing }
            guard let local = state.local[callee]?.session else { return nil }
            let peer = RemoteCallerPeer(callerSlot: callerSlot, calleeID: callee, serialization: local.peer.serialization,
                                        ownSlot: ownSlot, subjects: subjects, connection: connection,
                                        headerAllowance: limits.headerAllowance)
            // Above WAMP's ID range: never a real session's ID, unique per (node, callee).
            let id = (1 << 63) | (UInt64(callerSlot) << 53) | callee
            let session = RealmSession(remoteID: id, peer: peer, features: [
                .callerProgressiveCallResults, .callerCallCanceling, .callerProgressiveCallInvocations, .callerPayloadPassthru,
            ])
            state.remoteCallers[key] = session
            return session
        }
    }

    func received(invocation message: NATSMessage) {
        guard let (node, callee, decoded) = decode(message) else { return }
        switch decoded {
        case .invocation(let invocation):
            guard let caller = remoteCaller(slot: node, callee: callee) else {
                // The callee left this node: answer with a stand-in that is not kept.
                let peer = RemoteCallerPeer(callerSlot: node, calleeID: callee, serialization: .json, ownSlot: ownSlot,
                                            subjects: subjects, connection: connection, headerAllowance: limits.headerAllowance)
                peer.send(.error(ErrorMessage(requestType: .call, request: invocation.request, error: ErrorURI.noSuchProcedure,
                                              message: "the callee is no longer on its node")))
                return
            }
            dealer.invokeChosen(callRequest: invocation.request, calleeID: callee, registration: invocation.registration,
                                details: invocation.details, payload: invocation.payload,
                                maxPending: limits.maxPendingInvocationsPerRemoteCaller, from: caller)
        case .interrupt(let interrupt):
            let key = NodeSession(slot: node, session: callee)
            guard let caller = state.withLock({ $0.remoteCallers[key] }) else { return }
            let options = interrupt.options
            let mode = (options.count > 0 ? options.string("mode") : nil).flatMap(CancelMode.init(rawValue:)) ?? .killnowait
            let reason = (options.count > 0 ? options.string("reason") : nil) ?? ErrorURI.canceled
            dealer.cancelFromCluster(callRequest: interrupt.request, mode: mode, reason: reason, from: caller)
        case .unregistered(let revocation):
            // Another node revoked this callee's registration; the directory change follows.
            guard let local = state.withLock({ $0.local[callee]?.session }) else { return }
            local.peer.send(.unregistered(revocation))
        default:
            logger.notice("unexpected message on the invocation subject dropped", metadata: ["message": "\(decoded.code.name)"])
        }
    }

    func received(result message: NATSMessage) {
        guard let (node, callee, decoded) = decode(message) else { return }
        // A callee whose node changed slot answers from the new one, maybe before this node
        // applied the moved entry: the same session (IDs are unique) under its old slot then.
        guard let (key, session) = state.withLock({ state -> (NodeSession, RealmSession)? in
            let key = NodeSession(slot: node, session: callee)
            if let session = state.remoteCallees[key] { return (key, session) }
            return state.remoteCallees.first { $0.key.session == callee }.map { ($0.key, $0.value) }
        }) else { return }
        switch decoded {
        case .result(let result):
            do {
                try dealer.yield(Yield(request: result.request, options: result.details, payload: result.payload), from: session)
            } catch {
                logger.notice("remote callee's result refused", metadata: ["why": "\(error.message)"])
            }
        case .error(let error):
            dealer.invocationError(ErrorMessage(requestType: .invocation, request: error.request, details: error.details,
                                                error: error.error, payload: error.payload), from: session)
        default:
            logger.notice("unexpected message on the result subject dropped", metadata: ["message": "\(decoded.code.name)"])
            return
        }
        forgetIfUnused(key)
    }

    /// A remote callee that left every registration goes once its last pending call ended.
    private func forgetIfUnused(_ key: NodeSession) {
        state.withLock { state in
            guard state.remoteUse[key] == nil, state.remoteCallees[key] != nil,
                  dealer.pendingCallCount(callee: key.session) == 0 else { return }
            state.remoteCallees[key] = nil
        }
    }

    /// A message `RemoteCalleePeer` could not publish (NATS unreachable): an INVOCATION ends its
    /// call with `wamp.error.cluster_unavailable`, on the event loop (not inside the dealer's send).
    func unsent(_ message: EncodedMessage, to key: NodeSession) {
        connection.eventLoop.execute { [self] in
            guard case .invocation(let invocation)? = try? message.serialization.decode(message.bytes),
                  let session = state.withLock({ $0.remoteCallees[key] }) else { return }
            dealer.invocationError(ErrorMessage(
                requestType: .invocation, request: invocation.request, error: ErrorURI.clusterUnavailable,
                message: "the callee's node cannot be reached: this node has no connection to NATS"), from: session)
        }
    }

    /// Core NATS kept nothing while a connection was down: an INVOCATION sent to a node whose
    /// connection dropped, or a YIELD sent back over this node's dropped connection, may be gone
    /// without a word. So the calls pending at the remote callees of `slots` (every other node
    /// when nil: this node's own connection dropped) end now with ERROR `wamp.error.canceled`,
    /// which tells their callers the call may or may not have run. A late answer for one of them
    /// finds no pending call and is dropped. Called on this node's disconnect and when another
    /// node's heartbeat shows it reconnected.
    public func connectionInterrupted(slots: Set<Int>?) {
        endCallsAtOtherNodes(slots: slots, why: slots == nil
            ? "this node's cluster connection dropped while the call was at another node; it may or may not have run"
            : "the callee's node lost its cluster connection while the call was there; it may or may not have run")
    }

    /// Ends the calls pending at the remote callees of `slots` (all when nil) with ERROR
    /// `wamp.error.canceled` saying `why`.
    func endCallsAtOtherNodes(slots: Set<Int>?, why: String) {
        let callees = state.withLock { state in
            state.remoteCallees.filter { slots?.contains($0.key.slot) ?? true }.map(\.value)
        }
        var ended = 0
        for callee in callees {
            for request in dealer.pendingInvocationRequests(callee: callee.id) {
                if dealer.invocationError(ErrorMessage(requestType: .invocation, request: request, error: ErrorURI.canceled,
                                                       message: why), from: callee) {
                    ended += 1
                }
            }
        }
        if ended > 0 {
            logger.warning("calls at other nodes ended: a cluster connection dropped", metadata: [
                "calls": "\(ended)", "nodes": "\(slots.map { $0.sorted().description } ?? "all")",
            ])
        }
    }

    func received(announcement message: NATSMessage) {
        guard let headers = message.headers, let key = headers[ClusterSubjects.key],
              let revision = headers[ClusterSubjects.revision].flatMap(UInt64.init) else { return }
        if let node = headers[ClusterSubjects.node].flatMap(Int.init) {
            // A node that announces is alive (again): its callees count from now on.
            state.withLock { _ = $0.lostSlots.remove(node) }
        }
        apply(key: key, revision: revision, value: headers[ClusterSubjects.deleted] == "1" ? nil : message.payload)
        if let reply = message.replyTo { try? connection.publish(reply, payload: ByteBuffer()) }
    }
}
