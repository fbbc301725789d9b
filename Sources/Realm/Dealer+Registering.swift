import WampMessages

/// What REGISTER shares between the single-process path and the cluster's: the checks before
/// anything is decided, and the answer with its meta events after.
extension Dealer {
    /// REGISTER's options and URI checked: the policies, or the ERROR URI and reason.
    func checkRegister(_ message: Register) -> Swift.Result<(MatchPolicy, InvokePolicy, Bool), RegisterRefusal> {
        let options = message.options
        let hasOptions = options.count > 0
        guard let match = MatchPolicy(option: hasOptions ? options.string("match") : nil) else {
            return .failure(RegisterRefusal(ErrorURI.invalidArgument, "unknown match policy '\(options.string("match") ?? "")'"))
        }
        guard let invoke = InvokePolicy(option: hasOptions ? options.string("invoke") : nil) else {
            return .failure(RegisterRefusal(ErrorURI.invalidArgument, "unknown invocation policy '\(options.string("invoke") ?? "")'"))
        }
        let validURI = match == .wildcard ? uris.isValidWildcard(message.procedure) : uris.isValid(message.procedure)
        guard validURI else {
            return .failure(RegisterRefusal(ErrorURI.invalidURI, "'\(message.procedure)' is not a valid procedure URI"))
        }
        guard !message.procedure.hasPrefix("wamp.") else {
            return .failure(RegisterRefusal(ErrorURI.invalidURI, "procedure '\(message.procedure)' is under the reserved prefix 'wamp.'"))
        }
        return .success((match, invoke, hasOptions && options.bool("disclose_caller") == true))
    }

    struct RegisterRefusal: Error {
        let uri: String
        let reason: String
        init(_ uri: String, _ reason: String) { self.uri = uri; self.reason = reason }
    }

    /// REGISTERED and the meta events; `registration` is the one just created (`on_create`).
    func answerRegistered(_ message: Register, registration: Registration?, id: WampID? = nil, from session: RealmSession,
                          into outbox: inout Outbox) {
        let id = registration?.id ?? id!
        outbox.send(.registered(Registered(request: message.request, registration: id)), to: session.peer)
        if let registration {
            meta?.publishMetaEvent(topic: "wamp.registration.on_create", arguments: {
                RawJSON(validatedText: "[\(session.id),\(registration.details.jsonText)]")
            }, into: &outbox)
        }
        meta?.publishMetaEvent(topic: "wamp.registration.on_register", arguments: {
            RawJSON(validatedText: "[\(session.id),\(id)]")
        }, into: &outbox)
    }
}
