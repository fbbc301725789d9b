import WampMessages

/// Joining (first connect and every reconnect) and restoring registrations and subscriptions.
extension ClientState {
    /// Dials, says HELLO and waits for WELCOME; bounded by `joinTimeout` (the transport is
    /// closed if the router has not welcomed the client by then).
    func join() async throws -> Welcome {
        let transport = try await connector.open(serialization, self)
        let installed = storage.withLock { storage -> Bool in
            guard !storage.userClosing else { return false }
            storage.transport = transport
            storage.phase = .joining
            return true
        }
        guard installed else {
            transport.close()
            throw WampClientError.connectionClosed
        }
        let hello = try encode(.hello(Hello(realm: realm, details: helloDetails())))
        let timeout = joinTimeout
        let timer = Task { [weak self] in
            try await Task.sleep(for: timeout)
            guard let self, storage.withLock({ $0.transport === transport && $0.phase == .joining }) else { return }
            transport.close()
        }
        defer { timer.cancel() }
        let welcome = try await withCheckedThrowingContinuation { continuation in
            let waiting = storage.withLock { storage -> Bool in
                guard storage.transport === transport, transport.isOpen else { return false }
                storage.welcome = continuation
                return true
            }
            guard waiting else {
                continuation.resume(throwing: WampClientError.connectionClosed)
                return
            }
            transport.send(hello)
        }
        let joined = storage.withLock { storage -> Bool in
            guard storage.transport === transport, transport.isOpen else { return false }
            storage.phase = .joined
            storage.sessionID = welcome.session
            storage.welcomeDetails = welcome.details
            return true
        }
        guard joined else { throw WampClientError.connectionClosed }
        return welcome
    }

    /// HELLO.Details: the roles with the Advanced Profile features this client implements (the
    /// router only sends INTERRUPT, progressive RESULTs and revocations to peers that ask).
    func helloDetails() -> JSONValue {
        let details = JSONValue.makeObject()
        let rolesObject = JSONValue.makeObject()
        for role in roles {
            let features = JSONValue.makeObject()
            switch role {
            case "caller":
                for name in ["progressive_call_results", "call_canceling", "progressive_call_invocations"] {
                    features.set(name, bool: true)
                }
            case "callee":
                for name in ["progressive_call_results", "call_canceling", "progressive_call_invocations", "registration_revocation"] {
                    features.set(name, bool: true)
                }
            case "subscriber":
                features.set("subscription_revocation", bool: true)
            default:
                break
            }
            let object = JSONValue.makeObject()
            if features.count > 0 { object.set("features", features) }
            rolesObject.set(role, object)
        }
        details.set("roles", rolesObject)
        credentials?.addHelloDetails(to: details)
        return details
    }

    /// Dials again after a loss, with the policy's backoff, then restores the session's
    /// registrations and subscriptions. Ends the client when the attempts run out.
    func reconnect(_ policy: WampClient.ReconnectPolicy) async {
        for attempt in 1...policy.maxAttempts {
            try? await Task.sleep(for: policy.delay(beforeAttempt: attempt))
            if storage.withLock({ $0.userClosing }) { break }
            guard let welcome = try? await join() else { continue }
            if storage.withLock({ $0.userClosing }) {
                currentTransport?.close()
                return
            }
            await restore()
            if storage.withLock({ $0.phase == .joined && $0.sessionID == welcome.session }) {
                emit(.rejoined(session: welcome.session))
            }
            return
        }
        storage.withLock { $0.transport = nil }
        finish()
    }

    /// Re-registers and re-subscribes every record with the same handler under the same handle.
    /// A record the router refuses is dropped and reported, not retried forever.
    private func restore() async {
        let (registrations, subscriptions) = storage.withLock { ($0.registrations, $0.subscriptions) }
        for (handle, record) in registrations {
            let outcome = await restoreRequest { id in
                (.register(Register(request: id, options: record.options, procedure: record.procedure)),
                 .registration(handle: handle, record))
            }
            switch outcome {
            case .restored: break
            case .lost: return
            case .refused(let reason):
                storage.withLock { _ = $0.registrations.removeValue(forKey: handle) }
                emit(.restoreFailed(uri: record.procedure, error: reason))
            }
        }
        for (handle, record) in subscriptions {
            let outcome = await restoreRequest { id in
                (.subscribe(Subscribe(request: id, options: record.options, topic: record.topic)),
                 .subscription(handle: handle, record))
            }
            switch outcome {
            case .restored: break
            case .lost: return
            case .refused(let reason):
                storage.withLock { _ = $0.subscriptions.removeValue(forKey: handle) }
                emit(.restoreFailed(uri: record.topic, error: reason))
            }
        }
    }

    private enum RestoreOutcome {
        case restored
        /// The router said no: the record goes.
        case refused(String)
        /// The transport went again: the next reconnect restores the records.
        case lost
    }

    private func restoreRequest(_ make: (WampID) -> (WampMessage, Binding)) async -> RestoreOutcome {
        let id = nextRequestID()
        let (message, binding) = make(id)
        do {
            _ = try await withCheckedThrowingContinuation { continuation in
                start(id, message, waiter: .reply(continuation), binding: binding)
            }
            return .restored
        } catch let error as WampClientError {
            if case .error = error { return .refused(error.description) }
            return .lost
        } catch {
            return .lost
        }
    }
}
