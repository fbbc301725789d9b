import WampMessages

extension Realm {
    /// Calls `procedure` in this realm with the router itself as the caller (dynamic authorizers
    /// and authenticators). The call is routed like a peer's, but the caller is never disclosed to
    /// the callee and is not subject to authorization; it counts against
    /// `maxPendingCallsPerCaller` like any caller (past it: `.error(router.error.limit_exceeded)`).
    ///
    /// `arguments`: the call's positional arguments (a JSON array text). `timeoutSeconds`: after
    /// it the completion gets `.timeout` and the call is canceled at the dealer (the callee is
    /// interrupted if it announced call canceling); 0, or a realm without a scheduler, waits for
    /// the answer or for the callee to leave (which answers `wamp.error.canceled`).
    ///
    /// `completion` runs exactly once and never under a routing lock; it may run on the calling
    /// thread before this returns (nobody registered the procedure, an invalid URI), on the
    /// callee's thread (its YIELD) or on the scheduler's (the timeout).
    public func callInternally(procedure: String, arguments: RawJSON, argumentsKw: RawJSON? = nil, timeoutSeconds: Double,
                               completion: @escaping @Sendable (Swift.Result<InternalCallResult, InternalCallFailure>) -> Void) {
        let caller = internalCaller
        let request = caller.begin(completion)
        if timeoutSeconds > 0, let scheduler = dealer.scheduler {
            let milliseconds = max(1, Int64(min(timeoutSeconds * 1000, 1e12).rounded(.up)))
            let dealer = dealer
            let session = routerSession
            let work = scheduler.schedule(afterMilliseconds: milliseconds) {
                guard caller.finish(request, .failure(.timeout)) else { return }
                // Settles the dealer's pending call; its ERROR to us finds nothing pending.
                let options = JSONValue.makeObject()
                options.set("mode", string: CancelMode.killnowait.rawValue)
                dealer.cancel(Cancel(request: request, options: options), from: session)
            }
            caller.attach(work, to: request)
        }
        let message = Call(request: request, options: .emptyObject, procedure: procedure,
                           payload: Payload(arguments: arguments, argumentsKw: argumentsKw))
        do {
            try call(message, from: routerSession)
        } catch {
            caller.finish(request, .failure(.error(uri: ErrorURI.protocolViolation, message: error.message)))
        }
    }

    /// Internal calls still waiting for an answer (for tests and, later, metrics).
    public var pendingInternalCallCount: Int { internalCaller.pendingCount }
}
