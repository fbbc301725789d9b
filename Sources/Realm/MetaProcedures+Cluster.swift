import WampMessages

extension MetaProcedures {
    /// `wamp.session.count`, `list`, `get` and `kill*`, and `wamp.subscription.list_subscribers`,
    /// `count_subscribers`, `remove_subscriber` and `get_events`, on a clustered node: this
    /// node's sessions and, by scatter-gather, every other live node's (docs/cluster.md "Sessions and the meta API").
    /// The answer says which nodes did not answer in time (`partial`) and whether the list
    /// reached `maxAnswerBytes` (`truncated`: the count stays exact). False when `procedure` is
    /// answered by this node alone (a `get` of a session on this node, anything else).
    func gatherAcrossCluster(_ procedure: MetaProcedure, _ message: Call, arguments: JSONValue, kwargs: JSONValue,
                             from session: RealmSession, cluster: any SessionQueryCluster) -> Bool {
        let query: SessionQuery
        var historyQuery: HistoryQuery?
        do throws(Failure) {
            switch procedure {
            case .sessionCount: query = .count(authroles: try authroles(arguments.element(0)))
            case .sessionList: query = .list(authroles: try authroles(arguments.element(0)))
            case .sessionGet:
                let id = try requireID(arguments, 0, "session")
                if realm.session(id) != nil { return false }
                query = .get(id)
            // A subscription known to this node, or to the cluster's subscription directory it copies.
            case .subscriptionListSubscribers, .subscriptionCountSubscribers:
                let subscription = try requireSubscription(arguments).id
                query = .subscribers(subscription, countOnly: procedure == .subscriptionCountSubscribers)
            case .subscriptionRemoveSubscriber:
                let subscription = try requireSubscription(arguments).id
                let subscriber = try requireID(arguments, 1, "subscriber")
                // A subscriber of this node: answered here alone.
                if realm.session(subscriber) != nil { return false }
                query = .removeSubscriber(subscriber, subscription: subscription, reason: removalReason(arguments, kwargs))
            case .subscriptionGetEvents:
                let subscription = try requireSubscription(arguments).id
                historyQuery = try HistoryQuery(kwargs)
                query = .history(subscription, caller: session.id, authid: session.authid, authrole: session.authrole)
            case .sessionKill:
                let id = try requireID(arguments, 0, "session")
                let (reason, text) = try killReason(kwargs)
                // The caller itself, or a session of this node: answered here alone.
                if id == session.id || realm.session(id) != nil { return false }
                query = .kill(.session(id), except: session.id, reason: reason, message: text)
            case .sessionKillByAuthid, .sessionKillByAuthrole:
                guard let name = arguments.element(0)?.stringValue else {
                    throw Failure.argument(procedure == .sessionKillByAuthid ? "authid must be a string" : "authrole must be a string")
                }
                let (reason, text) = try killReason(kwargs)
                query = .kill(procedure == .sessionKillByAuthid ? .authid(name) : .authrole(name), except: session.id,
                              reason: reason, message: text)
            case .sessionKillAll:
                let (reason, text) = try killReason(kwargs)
                query = .kill(.all, except: session.id, reason: reason, message: text)
            default: return false
            }
        } catch {
            session.peer.send(.error(ErrorMessage(requestType: .call, request: message.request, error: error.uri, message: error.message)))
            return true
        }
        let maxBytes = realm.limits.maxAnswerBytes
        let realm = self.realm
        let request = message.request
        let peer = session.peer
        let reverse = kwargs.bool("reverse") ?? false
        let counters = realm.counters
        let history = historyQuery
        let accepted = cluster.gather(query) { answers, silent in
            // This node's part once the query is admitted, so a refused kill ends no session here.
            var merged = realm.localAnswer(query, maxBytes: maxBytes)
            var partial = silent
            for (node, text) in answers {
                guard let answer = SessionQuery.Answer(text: text) else {
                    partial.append(node)
                    continue
                }
                merged.add(answer, maxBytes: maxBytes)
            }
            if let history {
                peer.send(Self.gatheredHistory(merged, history, reverse: reverse, partial: partial.sorted(), request: request,
                                               maxBytes: maxBytes, counters: counters))
            } else {
                peer.send(Self.gathered(query, merged, partial: partial.sorted(), request: request))
            }
        }
        if !accepted {
            realm.counters.add(.limitRefusals)
            peer.send(.error(ErrorMessage(requestType: .call, request: request, error: ErrorURI.limitExceeded,
                                          message: "too many session meta queries wait for the other nodes; try again")))
        }
        return true
    }

    private static func gathered(_ query: SessionQuery, _ answer: SessionQuery.Answer, partial: [String],
                                 request: WampID) -> WampMessage {
        let kwargs = partialKwargs(partial)
        switch query {
        case .count:
            return result(request, "[\(answer.count)]", kwargs)
        case .list, .subscribers(_, countOnly: false), .kill(.authid, _, _, _):
            if answer.truncated { kwargs.set("truncated", bool: true) }
            return result(request, "[\(answer.sessions)]", kwargs)
        case .subscribers(_, countOnly: true), .kill(.authrole, _, _, _), .kill(.all, _, _, _):
            return result(request, "[\(answer.count)]", kwargs)
        case .kill(.session(let id), _, _, _):
            if answer.count > 0 { return result(request, nil, kwargs) }
            return noSuchSession("no other session \(id)", partial: partial, request: request, kwargs: kwargs)
        case .removeSubscriber(let session, let subscription, _):
            if answer.count > 0 { return result(request, nil, kwargs) }
            return noSuchSession("session \(session) is not a subscriber of \(subscription)", partial: partial, request: request,
                                 kwargs: kwargs)
        case .history, .roster:
            // History: answered by `gatheredHistory`, which also has the query's filters. Roster:
            // asked by the cluster itself, never by a meta procedure.
            return result(request, "[[]]", kwargs)
        case .get(let id):
            if let details = answer.details { return result(request, "[\(details)]", kwargs) }
            return noSuchSession("no session \(id)", partial: partial, request: request, kwargs: kwargs)
        }
    }

    /// `get_events` across the nodes: every node's events of the subscription in timestamp order
    /// (each node's own order where the milliseconds tie), then the query's filters and limit,
    /// as on one node. A node's part over its answer bound, or the whole over `maxBytes`, is
    /// refused as on one node.
    private static func gatheredHistory(_ answer: SessionQuery.Answer, _ query: HistoryQuery, reverse: Bool, partial: [String],
                                        request: WampID, maxBytes: Int, counters: RealmCounters) -> WampMessage {
        let kwargs = partialKwargs(partial)
        var items: [(index: Int, event: StoredEvent)] = []
        for (index, text) in answer.events.enumerated() {
            if let item = HistoryItem(text: text) { items.append((index, item.event)) }
        }
        items.sort { first, second in
            first.event.timestamp == second.event.timestamp ? first.index < second.index : first.event.timestamp < second.event.timestamp
        }
        var events = items.map(\.event)
        if reverse { events.reverse() }
        let text = "[" + query.apply(to: events) + "]"
        guard !answer.truncated, text.utf8.count <= maxBytes else {
            counters.add(.limitRefusals)
            return .error(ErrorMessage(requestType: .call, request: request, error: ErrorURI.limitExceeded, message:
                "the events asked for take more than one answer may carry (\(maxBytes), --max-answer-bytes); ask for fewer with 'limit' or a time range"))
        }
        return result(request, text, kwargs)
    }

    /// `{"partial": [node names]}`, or an empty object when every node answered.
    private static func partialKwargs(_ partial: [String]) -> JSONValue {
        let kwargs = JSONValue.makeObject()
        if !partial.isEmpty {
            let names = JSONValue.makeArray()
            for name in partial { names.append(string: name) }
            kwargs.set("partial", names)
        }
        return kwargs
    }

    /// ERROR `wamp.error.no_such_session`, naming the nodes that did not answer.
    private static func noSuchSession(_ what: String, partial: [String], request: WampID, kwargs: JSONValue) -> WampMessage {
        let why = partial.isEmpty ? "\(what) on any node"
            : "\(what) on the nodes that answered; \(partial.joined(separator: ", ")) did not answer in time"
        let details = JSONValue.makeObject()
        details.set("message", string: why)
        return .error(ErrorMessage(requestType: .call, request: request, details: details, error: ErrorURI.noSuchSession,
                                   payload: Payload(arguments: nil, argumentsKw: kwargs.count > 0 ? RawJSON(kwargs) : nil)))
    }

    private static func result(_ request: WampID, _ arguments: String?, _ kwargs: JSONValue) -> WampMessage {
        .result(Result(request: request, details: .emptyObject,
                       payload: Payload(arguments: arguments.map { RawJSON(validatedText: $0) },
                                        argumentsKw: kwargs.count > 0 ? RawJSON(kwargs) : nil)))
    }
}
