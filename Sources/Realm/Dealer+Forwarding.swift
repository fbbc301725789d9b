import WampMessages

/// Forwarding a call's messages to a peer that may not be able to take them: its serializer
/// has no lossless form for a value of the payload, or the message is larger than it announced
/// (a RawSocket peer's maximum length). Callers never hang on such a call: it ends with ERROR
/// (`wamp.error.payload_size_exceeded` or `wamp.error.invalid_argument`), and the callee of a
/// call it was still working on gets INTERRUPT.
extension Dealer {
    /// Sends `message` to `peer`, or returns why it could not (counted and logged here).
    func forward(_ message: WampMessage, to peer: any Peer, session: WampID) -> DeliveryRefusal? {
        switch peer.deliverable(message) {
        case .success(let encoded):
            peer.send(encoded)
            return nil
        case .failure(let refusal):
            if counters.add(.undeliverable) {
                logger.notice("message not forwarded: the receiver cannot take it", metadata: [
                    "message": "\(message.code.name)", "receiver": "\(session)", "why": "\(refusal.message)",
                    "undeliverableTotal": "\(counters.value(.undeliverable))",
                ])
            }
            return refusal
        }
    }

    /// An INVOCATION its callee cannot take: the call ends for the caller; a callee that already
    /// had chunks of a progressive invocation is interrupted.
    func invocationUndeliverable(_ refusal: DeliveryRefusal, callee: RealmSession, request: WampID, continuing: Bool) {
        let key = InvocationKey(callee: callee.id, request: request)
        let pending = state.withLock { state -> PendingCall? in
            guard let pending = state.pending[key] else { return nil }
            state.settle(key)
            return pending
        }
        guard let pending else { return }
        pending.timeout?.cancel()
        pending.caller.peer.send(.error(ErrorMessage(
            requestType: .call, request: pending.callRequest, error: refusal.errorURI,
            message: "the callee cannot take this call: \(refusal.message)")))
        if continuing && callee.features.contains(.calleeCallCanceling) {
            sendInterrupt(to: callee, request: request, mode: .killnowait, reason: refusal.errorURI)
        }
    }

    /// A RESULT (or the callee's ERROR) its caller cannot take: the caller gets ERROR instead,
    /// and a call still producing progressive results is ended and its callee interrupted.
    func resultUndeliverable(_ refusal: DeliveryRefusal, pending: PendingCall, calleeRequest: WampID, stillPending: Bool) {
        if stillPending {
            let key = InvocationKey(callee: pending.callee.id, request: calleeRequest)
            let settled = state.withLock { state -> Bool in
                guard state.pending[key]?.token == pending.token else { return false }
                state.settle(key)
                return true
            }
            guard settled else { return }
            pending.timeout?.cancel()
            if pending.callee.features.contains(.calleeCallCanceling) {
                sendInterrupt(to: pending.callee, request: calleeRequest, mode: .killnowait, reason: refusal.errorURI)
            }
        }
        // The callee is not sent ERROR for its YIELD: clients such as Autobahn|Python treat an
        // ERROR for YIELD as a protocol error and drop the session (and its registrations). The
        // refusal is logged and counted by `forward`.
        pending.caller.peer.send(.error(ErrorMessage(
            requestType: .call, request: pending.callRequest, error: refusal.errorURI,
            message: "the callee's answer cannot be delivered: \(refusal.message)")))
    }
}
