import WampMessages

/// The callee side: INVOCATION runs its handler in a task of its own, INTERRUPT cancels that
/// task, and progressive invocations feed later chunks to the running handler.
extension ClientState {
    func invoke(_ invocation: Invocation, over transport: any ClientTransport) {
        let details = invocation.details
        let progress = details.count > 0 && details.bool("progress") == true
        enum Decision { case chunk(AsyncThrowingStream<Invocation, any Error>.Continuation?), start(Handler), unknown }
        let decision = storage.withLock { storage -> Decision in
            if let running = storage.running[invocation.request] { return .chunk(running.chunks) }
            guard let handle = storage.registrationByRouterID[invocation.registration],
                  let record = storage.registrations[handle] else { return .unknown }
            return .start(record.handler)
        }
        switch decision {
        case .chunk(let chunks):
            chunks?.yield(invocation)
            if !progress { chunks?.finish() }
        case .unknown:
            let error = ErrorMessage(requestType: .invocation, request: invocation.request, details: .emptyObject,
                                     error: "wamp.error.no_such_registration")
            if let bytes = try? encode(.error(error)) { transport.send(bytes) }
        case .start(let handler):
            runHandler(handler, for: invocation, over: transport, progressiveInvocation: progress)
        }
    }

    private func runHandler(_ handler: @escaping Handler, for invocation: Invocation, over transport: any ClientTransport,
                       progressiveInvocation: Bool) {
        let request = invocation.request
        let (chunks, chunkInput) = AsyncThrowingStream.makeStream(of: Invocation.self)
        if !progressiveInvocation { chunkInput.finish() }
        let context = WampClient.InvocationContext(
            callerWantsProgress: invocation.details.count > 0 && invocation.details.bool("receive_progress") == true,
            isProgressiveInvocation: progressiveInvocation,
            chunks: chunks,
            serialization: serialization,
            progressSender: { [weak self] payload in
                guard let self else { throw WampClientError.connectionClosed }
                let options = JSONValue.makeObject()
                options.set("progress", bool: true)
                let bytes = try encode(.yield(Yield(request: request, options: options, payload: payload)))
                guard storage.withLock({ $0.running[request] != nil && $0.transport === transport }) else {
                    throw WampClientError.connectionClosed
                }
                transport.send(bytes)
            })
        storage.withLock { storage in
            storage.running[request] = RunningInvocation(chunks: progressiveInvocation ? chunkInput : nil)
        }
        let task = Task {
            let outcome: Swift.Result<Payload, any Error>
            do {
                outcome = .success(try await handler(invocation, context))
            } catch {
                outcome = .failure(error)
            }
            self.answer(request, outcome, over: transport)
        }
        let cancelNow = storage.withLock { storage -> Bool in
            guard storage.running[request] != nil else { return false }
            storage.running[request]!.task = task
            return storage.running[request]!.interruptMode != nil
        }
        if cancelNow { task.cancel() }
    }

    /// The handler's answer: the final YIELD, or ERROR. After an INTERRUPT in `killnowait`
    /// mode the router has already answered the caller, so nothing is sent.
    private func answer(_ request: WampID, _ outcome: Swift.Result<Payload, any Error>, over transport: any ClientTransport) {
        let running = storage.withLock { storage -> RunningInvocation? in
            guard storage.transport === transport else { return nil }
            return storage.running.removeValue(forKey: request)
        }
        guard let running else { return }
        running.chunks?.finish()
        if running.interruptMode == .killnowait { return }
        let reply: WampMessage
        switch outcome {
        case .success(let payload):
            reply = .yield(Yield(request: request, options: .emptyObject, payload: payload))
        case .failure(let error as WampInvocationError):
            reply = .error(ErrorMessage(requestType: .invocation, request: request, details: .emptyObject,
                                        error: error.uri, payload: error.payload))
        case .failure(let error) where running.interruptMode != nil || error is CancellationError:
            reply = .error(ErrorMessage(requestType: .invocation, request: request, details: .emptyObject,
                                        error: "wamp.error.canceled"))
        case .failure:
            reply = .error(ErrorMessage(requestType: .invocation, request: request, details: .emptyObject,
                                        error: "wamp.error.runtime_error"))
        }
        if let bytes = try? encode(reply) {
            transport.send(bytes)
        } else if let bytes = try? encode(.error(ErrorMessage(
            requestType: .invocation, request: request, error: "wamp.error.invalid_argument",
            message: "the result cannot be written in \(serialization)"))) {
            transport.send(bytes)
        }
    }

    /// INTERRUPT (the caller cancelled, or the call timed out): cancel the handler's task. A
    /// handler that ignores cancellation still answers, and the router decides what to do.
    func interrupt(_ interrupt: Interrupt) {
        let mode = interrupt.options.count > 0 ? interrupt.options.string("mode").flatMap(WampClient.CancelMode.init(rawValue:)) : nil
        let (task, chunks) = storage.withLock { storage -> (Task<Void, Never>?, AsyncThrowingStream<Invocation, any Error>.Continuation?) in
            guard storage.running[interrupt.request] != nil else { return (nil, nil) }
            storage.running[interrupt.request]!.interruptMode = mode ?? .kill
            return (storage.running[interrupt.request]!.task, storage.running[interrupt.request]!.chunks)
        }
        task?.cancel()
        chunks?.finish(throwing: CancellationError())
    }
}
