import NIOCore
import WampMessages

/// What the router sends, on the transport's event loop.
extension ClientState: ClientTransportSink {
    func transport(_ transport: any ClientTransport, didReceive bytes: ByteBuffer) {
        guard storage.withLock({ $0.transport === transport }) else { return }
        let message: WampMessage
        do {
            message = try serialization.decode(bytes)
        } catch {
            // A router that sends what this client cannot read is not one to keep talking to.
            storage.withLock { $0.protocolFailure = "undecodable \(serialization) message from the router: \(error)" }
            transport.close()
            return
        }
        receive(message, from: transport)
    }

    func transport(_ transport: any ClientTransport, didReceiveMalformed reason: String) {
        storage.withLock { $0.protocolFailure = reason }
    }

    func receive(_ message: WampMessage, from transport: any ClientTransport) {
        switch message {
        case .welcome(let welcome):
            storage.withLock { storage in
                defer { storage.welcome = nil }
                return storage.welcome
            }?.resume(returning: welcome)
        case .challenge(let challenge):
            guard storage.withLock({ $0.welcome != nil }) else { return }
            let reply = ChallengeResponder.reply(to: challenge, credentials: credentials)
            if let bytes = try? encode(reply) { transport.send(bytes) }
            if case .abort(let abort) = reply {
                let welcome = storage.withLock { storage in
                    defer { storage.welcome = nil }
                    return storage.welcome
                }
                welcome?.resume(throwing: WampClientError.aborted(reason: abort.reason, message: abort.details.string("message")))
                transport.close()
            }
        case .abort(let abort):
            let error = WampClientError.aborted(reason: abort.reason, message: abort.details.string("message"))
            let welcome = storage.withLock { storage in
                storage.routerClosingReason = abort.reason
                defer { storage.welcome = nil }
                return storage.welcome
            }
            welcome?.resume(throwing: error)
            transport.close()
        case .goodbye(let goodbye):
            let waiter = storage.withLock { storage in
                defer { storage.goodbye = nil }
                if storage.goodbye == nil { storage.routerClosingReason = goodbye.reason }
                return storage.goodbye
            }
            if let waiter {
                waiter.resume(returning: goodbye)
            } else if let bytes = try? encode(.goodbye(Goodbye(details: .emptyObject, reason: "wamp.close.goodbye_and_out"))) {
                // The router ends the session (killed, shutting down): answer, and let it close.
                transport.send(bytes)
            }
        case .error(let error):
            resolve(error.request, with: .failure(.error(uri: error.error, details: error.details, payload: error.payload)))
        case .result(let result):
            let progressive = result.details.count > 0 && result.details.bool("progress") == true
            resolve(result.request, with: .success(message), progressive: progressive)
        case .registered(let reply):
            bind(reply.request, routerID: reply.registration, message)
        case .subscribed(let reply):
            bind(reply.request, routerID: reply.subscription, message)
        case .unregistered(let reply):
            if reply.request == 0 {
                revokeRegistration(reply.details)
            } else {
                resolve(reply.request, with: .success(message))
            }
        case .unsubscribed(let reply):
            if reply.request == 0 {
                revokeSubscription(reply.details)
            } else {
                resolve(reply.request, with: .success(message))
            }
        case .published(let reply):
            resolve(reply.request, with: .success(message))
        case .event(let event):
            let handlers = storage.withLock { storage -> [WampClient.EventHandler] in
                guard let handle = storage.subscriptionByRouterID[event.subscription] else { return [] }
                return storage.subscriptions[handle]?.handlers ?? []
            }
            for handler in handlers { handler(event) }
        case .invocation(let invocation):
            invoke(invocation, over: transport)
        case .interrupt(let interrupt):
            self.interrupt(interrupt)
        default:
            break
        }
    }

    /// REGISTERED / SUBSCRIBED: record the handler under the lock that resolves the request,
    /// and answer the waiting task with the ID the user keeps (its handle).
    private func bind(_ request: WampID, routerID: WampID, _ message: WampMessage) {
        let resolved = storage.withLock { storage -> (Waiter, WampMessage)? in
            guard let pending = storage.pending.removeValue(forKey: request) else { return nil }
            switch pending.binding {
            case .registration(let known, var record)?:
                let handle = known ?? routerID
                record.routerID = routerID
                storage.registrations[handle] = record
                storage.registrationByRouterID[routerID] = handle
                return (pending.waiter, .registered(Registered(request: request, registration: handle)))
            case .subscription(let known, var record)?:
                if known == nil, let existing = storage.subscriptionByRouterID[routerID] {
                    // The same subscription again (same topic and match): one more handler.
                    storage.subscriptions[existing]?.handlers += record.handlers
                    return (pending.waiter, .subscribed(Subscribed(request: request, subscription: existing)))
                }
                let handle = known ?? routerID
                record.routerID = routerID
                storage.subscriptions[handle] = record
                storage.subscriptionByRouterID[routerID] = handle
                return (pending.waiter, .subscribed(Subscribed(request: request, subscription: handle)))
            case nil:
                return (pending.waiter, message)
            }
        }
        guard let resolved else { return }
        let (waiter, answer) = resolved
        if case .reply(let continuation) = waiter { continuation.resume(returning: answer) }
    }

    /// The router took a registration away (Advanced Profile "Registration Revocation"): it
    /// must not come back on reconnect.
    private func revokeRegistration(_ details: JSONValue?) {
        guard let routerID = details?.integer("registration").flatMap({ WampID(exactly: $0) }) else { return }
        storage.withLock { storage in
            guard let handle = storage.registrationByRouterID.removeValue(forKey: routerID) else { return }
            storage.registrations[handle] = nil
        }
    }

    private func revokeSubscription(_ details: JSONValue?) {
        guard let routerID = details?.integer("subscription").flatMap({ WampID(exactly: $0) }) else { return }
        storage.withLock { storage in
            guard let handle = storage.subscriptionByRouterID.removeValue(forKey: routerID) else { return }
            storage.subscriptions[handle] = nil
        }
    }
}
