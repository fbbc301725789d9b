import WampMessages

/// Answers calls to the meta procedures. The arguments are parsed here (a rare path), so the
/// dealer's hot path never looks inside a payload.
struct MetaProcedures {
    let realm: Realm

    /// Why a meta call failed: the ERROR URI and a readable message.
    struct Failure: Error {
        let uri: String
        let message: String
    }

    func call(_ procedure: MetaProcedure, _ message: Call, from session: RealmSession) {
        // Meta arguments are the one payload the router parses into a tree, at up to ~80 bytes
        // per byte: bounded like the envelope is.
        guard message.payload.byteCount <= realm.limits.maxParsedArgumentsBytes else {
            realm.counters.add(.limitRefusals)
            session.peer.send(.error(ErrorMessage(
                requestType: .call, request: message.request, error: ErrorURI.limitExceeded,
                message: "arguments of \(procedure.rawValue) take \(message.payload.byteCount) bytes, more than \(realm.limits.maxParsedArgumentsBytes) (--max-options-bytes)")))
            return
        }
        let arguments = message.payload.arguments?.parsed() ?? JSONValue.makeArray()
        let kwargs = message.payload.argumentsKw?.parsed() ?? JSONValue.makeObject()
        if let cluster = realm.sessionCluster, gatherAcrossCluster(procedure, message, arguments: arguments, kwargs: kwargs, from: session,
                                                                         cluster: cluster) {
            return
        }
        do {
            let result = try answer(procedure, arguments: arguments, kwargs: kwargs, from: session)
            session.peer.send(.result(Result(request: message.request, details: .emptyObject, payload: result)))
        } catch {
            session.peer.send(.error(ErrorMessage(requestType: .call, request: message.request, error: error.uri, message: error.message)))
        }
    }

    private func answer(_ procedure: MetaProcedure, arguments: JSONValue, kwargs: JSONValue,
                        from caller: RealmSession) throws(Failure) -> Payload {
        switch procedure {
        case .sessionCount:
            return .single(integer: try sessions(filteredBy: arguments.element(0)).count)
        case .sessionList:
            return .single(integers: try sessions(filteredBy: arguments.element(0)).map(\.id))
        case .sessionGet:
            let id = try requireID(arguments, 0, "session")
            guard let session = realm.session(id) else { throw Failure(uri: ErrorURI.noSuchSession, message: "no session \(id)") }
            return Payload(arguments: RawJSON(validatedText: "[\(Realm.sessionDetails(session).jsonText)]"))
        case .sessionKill:
            let id = try requireID(arguments, 0, "session")
            let (reason, text) = try killReason(kwargs)
            guard id != caller.id, let victim = realm.session(id) else {
                throw Failure(uri: ErrorURI.noSuchSession, message: "no other session \(id)")
            }
            victim.peer.kill(reason: reason, message: text)
            return .empty
        case .sessionKillByAuthid:
            guard let authid = arguments.element(0)?.stringValue else { throw Failure.argument("authid must be a string") }
            let (reason, text) = try killReason(kwargs)
            let victims = realm.allSessions.filter { $0.authid == authid && $0.id != caller.id }
            for victim in victims { victim.peer.kill(reason: reason, message: text) }
            return .single(integers: victims.map(\.id))
        case .sessionKillByAuthrole:
            guard let authrole = arguments.element(0)?.stringValue else { throw Failure.argument("authrole must be a string") }
            let (reason, text) = try killReason(kwargs)
            let victims = realm.allSessions.filter { $0.authrole == authrole && $0.id != caller.id }
            for victim in victims { victim.peer.kill(reason: reason, message: text) }
            return .single(integer: victims.count)
        case .sessionKillAll:
            let (reason, text) = try killReason(kwargs)
            let victims = realm.allSessions.filter { $0.id != caller.id }
            for victim in victims { victim.peer.kill(reason: reason, message: text) }
            return .single(integer: victims.count)
        case .addTestament:
            guard let topic = arguments.element(0)?.stringValue, realm.uris.isValid(topic) else {
                throw Failure(uri: ErrorURI.invalidURI, message: "add_testament needs a valid topic URI as its first argument")
            }
            try authorizeTestament(topic, of: caller)
            let payloadArguments = arguments.element(1)
            let payloadKwargs = arguments.element(2)
            guard payloadArguments == nil || payloadArguments!.isArray, payloadKwargs == nil || payloadKwargs!.isObject else {
                throw Failure.argument("add_testament takes (topic, args|list, kwargs|dict)")
            }
            let scope = try testamentScope(kwargs)
            let options = kwargs.object("publish_options")?.removing("acknowledge") ?? JSONValue.makeObject()
            let payload = Payload(arguments: payloadArguments.map(RawJSON.init), argumentsKw: payloadKwargs.map(RawJSON.init))
            guard realm.addTestament(Testament(topic: topic, payload: payload, publishOptions: options), scope: scope, for: caller.id) else {
                realm.counters.add(.limitRefusals)
                throw Failure(uri: ErrorURI.limitExceeded,
                              message: "this session holds \(realm.limits.maxTestamentsPerSession) testaments, the most allowed (--max-testaments)")
            }
            return .empty
        case .flushTestaments:
            let scope = try testamentScope(kwargs)
            _ = realm.flushTestaments(scope: scope, for: caller.id)
            return .empty
        case .registrationList:
            return .policyLists(realm.dealer.registrationLists())
        case .registrationLookup:
            guard let procedure = arguments.element(0)?.stringValue else { throw Failure.argument("procedure must be a URI") }
            guard let match = MatchPolicy(option: arguments.element(1)?.string("match")) else { throw Failure.argument("unknown match policy") }
            return .single(optionalID: realm.dealer.lookup(procedure: procedure, match: match))
        case .registrationMatch:
            guard let procedure = arguments.element(0)?.stringValue else { throw Failure.argument("procedure must be a URI") }
            return .single(optionalID: realm.dealer.bestMatch(procedure: procedure))
        case .registrationGet:
            let registration = try requireRegistration(arguments)
            return Payload(arguments: RawJSON(validatedText: "[\(registration.details.jsonText)]"))
        case .registrationListCallees:
            return .single(integers: try requireRegistration(arguments).callees.map(\.id))
        case .registrationCountCallees:
            return .single(integer: try requireRegistration(arguments).callees.count)
        case .registrationRemoveCallee:
            let registration = try requireRegistration(arguments)
            let callee = try requireID(arguments, 1, "callee")
            let reason = removalReason(arguments, kwargs)
            guard realm.dealer.removeCallee(callee, from: registration.id, reason: reason) else {
                throw Failure(uri: ErrorURI.noSuchSession, message: "session \(callee) is not a callee of registration \(registration.id)")
            }
            return .empty
        case .subscriptionList:
            return .policyLists(realm.broker.subscriptionLists())
        case .subscriptionLookup:
            guard let topic = arguments.element(0)?.stringValue else { throw Failure.argument("topic must be a URI") }
            guard let match = MatchPolicy(option: arguments.element(1)?.string("match")) else { throw Failure.argument("unknown match policy") }
            return .single(optionalID: realm.broker.lookup(topic: topic, match: match))
        case .subscriptionMatch:
            guard let topic = arguments.element(0)?.stringValue else { throw Failure.argument("topic must be a URI") }
            let matches = realm.broker.matchingSubscriptions(topic: topic)
            return Payload(arguments: RawJSON(validatedText: matches.isEmpty ? "[null]" : "[\(matches)]"))
        case .subscriptionGet:
            let subscription = try requireSubscription(arguments)
            let details = JSONValue.makeObject()
            details.set("id", integer: Int64(subscription.id))
            details.set("created", string: subscription.created)
            details.set("uri", string: subscription.topic)
            details.set("match", string: subscription.match.rawValue)
            return Payload(arguments: RawJSON(validatedText: "[\(details.jsonText)]"))
        case .subscriptionListSubscribers:
            return .single(integers: try requireSubscription(arguments).subscribers)
        case .subscriptionCountSubscribers:
            return .single(integer: try requireSubscription(arguments).subscribers.count)
        case .subscriptionRemoveSubscriber:
            let subscription = try requireSubscription(arguments)
            let subscriber = try requireID(arguments, 1, "subscriber")
            let reason = removalReason(arguments, kwargs)
            guard realm.broker.removeSubscriber(subscriber, from: subscription.id, reason: reason) else {
                throw Failure(uri: ErrorURI.noSuchSession, message: "session \(subscriber) is not a subscriber of \(subscription.id)")
            }
            return .empty
        case .subscriptionGetEvents:
            let id = try requireID(arguments, 0, "subscription")
            guard let events = realm.broker.history(subscription: id, limit: nil, reverse: kwargs.bool("reverse") ?? false, visibleTo: caller) else {
                throw Failure(uri: ErrorURI.noSuchSubscription, message: "no subscription \(id)")
            }
            let answer = "[\(try HistoryQuery(kwargs).apply(to: events))]"
            guard answer.utf8.count <= realm.limits.maxAnswerBytes else {
                realm.counters.add(.limitRefusals)
                throw Failure(uri: ErrorURI.limitExceeded, message:
                    "the events asked for take \(answer.utf8.count) bytes, more than one answer may carry (\(realm.limits.maxAnswerBytes), --max-answer-bytes); ask for fewer with 'limit' or a time range")
            }
            return Payload(arguments: RawJSON(validatedText: answer))
        }
    }

    /// A testament is a publication made later on the caller's behalf: its role must allow
    /// publishing to the topic now (else testaments would publish where the caller may not).
    /// A dynamic authorizer cannot be asked from here (this answer is synchronous), so only a
    /// static decision or a cached dynamic one can allow it.
    private func authorizeTestament(_ topic: String, of caller: RealmSession) throws(Failure) {
        switch realm.authorizeNow(.publish, uri: topic, session: caller) {
        case .allowed?:
            return
        case .denied(let uri, let message)?:
            throw Failure(uri: uri, message: message)
        case nil:
            throw Failure(uri: ErrorURI.notAuthorized,
                          message: "testaments need a publish permission decided without asking the role's dynamic authorizer")
        }
    }

    // MARK: Argument helpers

    private func sessions(filteredBy filter: JSONValue?) throws(Failure) -> [RealmSession] {
        guard let roles = try authroles(filter) else { return realm.allSessions }
        return realm.allSessions.filter { roles.contains($0.authrole) }
    }

    /// The `filter_authroles` argument of `count`/`list`: nil for every session.
    func authroles(_ filter: JSONValue?) throws(Failure) -> [String]? {
        guard let filter, !filter.isNull else { return nil }
        guard let roles = filter.stringArray else { throw Failure.argument("filter_authroles must be a list of strings") }
        return roles
    }

    func requireID(_ arguments: JSONValue, _ index: Int, _ name: String) throws(Failure) -> WampID {
        guard let value = arguments.element(index)?.integerValue, WampIDRange.contains(value) else {
            throw Failure.argument("\(name) must be an ID")
        }
        return WampID(value)
    }

    private func requireRegistration(_ arguments: JSONValue) throws(Failure) -> Registration {
        let id = try requireID(arguments, 0, "registration")
        guard let registration = realm.dealer.registration(id) else {
            throw Failure(uri: ErrorURI.noSuchRegistration, message: "no registration \(id)")
        }
        return registration
    }

    func requireSubscription(_ arguments: JSONValue) throws(Failure) -> SubscriptionInfo {
        let id = try requireID(arguments, 0, "subscription")
        guard let subscription = realm.broker.info(id) else {
            throw Failure(uri: ErrorURI.noSuchSubscription, message: "no subscription \(id)")
        }
        return subscription
    }

    /// `remove_callee` / `remove_subscriber` take the reason third, or as a keyword.
    func removalReason(_ arguments: JSONValue, _ kwargs: JSONValue) -> String? {
        arguments.element(2)?.stringValue ?? kwargs.string("reason")
    }

    func killReason(_ kwargs: JSONValue) throws(Failure) -> (String, String?) {
        let reason = kwargs.string("reason") ?? ErrorURI.killed
        guard realm.uris.isValid(reason) else { throw Failure(uri: ErrorURI.invalidURI, message: "reason '\(reason)' is not a valid URI") }
        return (reason, kwargs.string("message"))
    }

    private func testamentScope(_ kwargs: JSONValue) throws(Failure) -> Testament.Scope {
        guard let scope = Testament.Scope(rawValue: kwargs.string("scope") ?? "destroyed") else {
            throw Failure.argument("scope must be 'detached' or 'destroyed'")
        }
        return scope
    }
}

extension MetaProcedures.Failure {
    static func argument(_ message: String) -> Self { Self(uri: ErrorURI.invalidArgument, message: message) }
}

private extension Payload {
    static func single(integer: Int) -> Payload { Payload(arguments: RawJSON(validatedText: "[\(integer)]")) }
    static func single(integers: [WampID]) -> Payload { Payload(arguments: RawJSON(validatedText: "[\(integers)]")) }
    /// `RegistrationLists` / `SubscriptionLists`: the IDs under each match policy.
    static func policyLists(_ lists: (exact: [WampID], prefix: [WampID], wildcard: [WampID])) -> Payload {
        Payload(arguments: RawJSON(validatedText: "[{\"exact\":\(lists.exact),\"prefix\":\(lists.prefix),\"wildcard\":\(lists.wildcard)}]"))
    }

    static func single(optionalID: WampID?) -> Payload {
        Payload(arguments: RawJSON(validatedText: optionalID.map { "[\($0)]" } ?? "[null]"))
    }
}
