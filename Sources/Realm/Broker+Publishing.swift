import RouterMetrics
import WampMessages

/// PUBLISH -> EVENT: the per-publication hot path, which takes only the broker's lock and
/// delivers after releasing it (meta events deliver into the membership order's outbox).
extension Broker {
    // MARK: Publishing

    /// Delivers one EVENT per receiving subscriber of each matching subscription and, when asked,
    /// PUBLISHED to the publisher.
    ///
    /// Returns a description of why nothing was published when the publication is refused and
    /// the publisher did not ask for acknowledgement, so the caller can log it (the spec gives
    /// such a publisher no answer, and we do not drop anything without saying so).
    /// `disclosePublisher`: the publisher's permission (`disclose.publisher`) identifies it to
    /// subscribers even without `disclose_me`.
    @discardableResult
    public func publish(_ message: Publish, from session: RealmSession, disclosePublisher: Bool = false) -> String? {
        var options = PublicationOptions.basic
        if message.options.count > 0 {
            let acknowledge = message.options.bool("acknowledge") ?? false
            if let refusal = refusal(for: message.topic) {
                return refusePublish(message, session, acknowledge, ErrorURI.invalidURI, refusal)
            }
            do {
                options = try PublicationOptions(parsing: message.options, publisher: session)
            } catch {
                return refusePublish(message, session, acknowledge, ErrorURI.invalidArgument, error.message)
            }
        } else if let refusal = refusal(for: message.topic) {
            return refusal
        }
        if disclosePublisher && options.details.publisher == nil {
            options.details.publisher = session.id
            options.details.publisherAuthid = session.authid
            options.details.publisherAuthrole = session.authrole
        }
        let topic = message.topic
        let timestamp = historyEnabled ? Timestamp.now() : ""
        var evicted = (retained: 0, history: 0)
        let targets = state.withLock { state -> Targets in
            let publication = state.ids.next()
            if options.retain || historyEnabled {
                let historyLimit = historyEnabled && options.filter?.usesSessionIDs != true ? state.history.limit(for: topic) : nil
                if options.retain || historyLimit != nil {
                    let record = EventRecord(
                        sequence: state.nextSequence(), publication: publication, topic: topic, timestamp: timestamp,
                        payload: message.payload, details: options.details, filter: options.filter,
                        publisher: session.id, excludeMe: options.excludeMe)
                    if options.retain {
                        evicted.retained = state.retained.store(record, maxTopics: self.limits.maxRetainedTopics,
                                                                maxBytes: self.limits.maxRetainedBytes)
                    }
                    if let historyLimit {
                        evicted.history = state.history.append(record, limit: historyLimit, maxTopics: self.limits.maxHistoryTopics,
                                                               maxBytes: self.limits.maxHistoryBytes)
                    }
                }
            }
            guard let found = state.targets(topic) else { return Targets(exact: nil, patterns: [], publication: publication) }
            return Targets(exact: found.exact, patterns: found.patterns, publication: publication)
        }
        if evicted.retained > 0 || evicted.history > 0 { reportEvictions(evicted) }
        var direct = DirectSink()
        var payloads = PublicationPayloads(message.payload)
        deliver(targets, topic: topic, payloads: &payloads, details: options.details,
                publisher: session.id, excludeMe: options.excludeMe, filter: options.filter, into: &direct)
        Traffic.published(receivers: direct.sent)  // metrics: event fan-out
        if let relay {
            return relayPublication(message, from: session, options: options, publication: targets.publication,
                                    payloads: payloads, relay: relay)
        }
        if payloads.anyUndelivered {
            let why = undelivered(payloads, publication: targets.publication, topic: topic)
            return refusePublish(message, session, options.acknowledge, payloads.firstRefusal!.errorURI, why)
        }
        if options.acknowledge {
            session.peer.send(.published(Published(request: message.request, publication: targets.publication)))
        }
        return nil
    }

    /// Clustered: shares the publication (after its local delivery) and answers the publisher
    /// once it is handed to the other nodes, or with `wamp.error.cluster_unavailable`.
    private func relayPublication(_ message: Publish, from session: RealmSession, options: PublicationOptions,
                                  publication: WampID, payloads: PublicationPayloads, relay: any BrokerRelay) -> String? {
        let relayed = RelayedPublication(publication: publication, topic: message.topic, payload: message.payload,
                                         publisher: session.id, options: options)
        let localRefusal: (uri: String, why: String)? = payloads.anyUndelivered
            ? (payloads.firstRefusal!.errorURI, undelivered(payloads, publication: publication, topic: message.topic)) : nil
        guard options.acknowledge else {
            relay.publish(relayed, done: nil)
            return localRefusal?.why
        }
        let request = message.request
        let peer = session.peer
        relay.publish(relayed) { failure in
            if let localRefusal {
                peer.send(.error(ErrorMessage(requestType: .publish, request: request, error: localRefusal.uri, message: localRefusal.why)))
            } else if let failure {
                peer.send(.error(ErrorMessage(requestType: .publish, request: request, error: ErrorURI.clusterUnavailable,
                                              message: "delivered on this node only: \(failure)")))
            } else {
                peer.send(.published(Published(request: request, publication: publication)))
            }
        }
        return nil
    }

    /// A publication another node shared, for this node's subscription of (`subscriptionTopic`,
    /// `match`): delivered with the publisher's options applied here, as if it were local.
    /// Returns the receivers it was sent to (0 when this node no longer has the subscription).
    @discardableResult
    public func deliverRelayed(_ publication: RelayedPublication, subscriptionTopic: String, match: MatchPolicy) -> Int {
        let subscription = state.withLock { state in
            state.table(match)[subscriptionTopic].flatMap { state.subscriptions[$0] }
        }
        guard let subscription else { return 0 }
        var direct = DirectSink()
        var payloads = PublicationPayloads(publication.payload)
        let details = publication.details
        deliver(subscription, publication: publication.publication,
                details: match == .exact ? details.make() : details.make(topic: publication.topic), payloads: &payloads,
                publisher: publication.publisher, excludeMe: publication.excludeMe, filter: publication.filter, into: &direct)
        Traffic.published(receivers: direct.sent)
        if payloads.anyUndelivered { _ = undelivered(payloads, publication: publication.publication, topic: publication.topic) }
        return direct.sent
    }

    /// Says (log, counter) which subscribers did not get a publication; the words are also the
    /// acknowledging publisher's ERROR message.
    private func undelivered(_ payloads: PublicationPayloads, publication: WampID, topic: String) -> String {
        let skipped = payloads.notRepresentable + payloads.tooLarge
        var parts: [String] = []
        if payloads.notRepresentable > 0 {
            let reasons = WampSerialization.allCases.compactMap { serialization in
                payloads.failure(in: serialization).map { "\(serialization): \($0)" }
            }
            parts.append("\(payloads.notRepresentable) subscriber(s) whose serializer cannot represent the payload (\(reasons.joined(separator: "; ")))")
        }
        if payloads.tooLarge > 0 {
            parts.append("\(payloads.tooLarge) subscriber(s) that accept no message this large")
        }
        let why = "the event was not delivered to " + parts.joined(separator: " and ")
        if counters.add(.undeliverable, skipped) {
            logger.notice("event not delivered to some subscribers", metadata: [
                "topic": "\(LogText.quoted(topic))", "publication": "\(publication)", "why": "\(why)",
                "undeliverableTotal": "\(counters.value(.undeliverable))",
            ])
        }
        return why
    }

    func reportEvictions(_ evicted: (retained: Int, history: Int)) {
        let retainedLine = counters.add(.retainedEvicted, evicted.retained)
        let historyLine = counters.add(.historyEvicted, evicted.history)
        guard retainedLine || historyLine else { return }
        logger.notice("oldest stored events evicted to stay within the realm's bounds", metadata: [
            "retainedEvicted": "\(evicted.retained)", "historyEvicted": "\(evicted.history)",
            "retainedEvictedTotal": "\(counters.value(.retainedEvicted))", "historyEvictedTotal": "\(counters.value(.historyEvicted))",
            "maxRetainedTopics": "\(limits.maxRetainedTopics)", "maxRetainedBytes": "\(limits.maxRetainedBytes)",
            "maxHistoryTopics": "\(limits.maxHistoryTopics)", "maxHistoryBytes": "\(limits.maxHistoryBytes)",
        ])
    }

    /// An EVENT from the router itself (meta events): no publisher, never retained or stored.
    /// When nobody subscribes to `topic` this costs one lock, one dictionary probe and a check for
    /// pattern subscriptions; the arguments are built only when someone will receive them. On a
    /// clustered node a shared meta topic (`SharedMetaTopics`) also goes to the other nodes,
    /// whose subscribers this node cannot see, so its arguments are always built; `shared` false
    /// keeps an event every node fires for itself (a lost node's callees) on this node.
    ///
    /// Meta events fire under the membership order, so they go into its outbox; this form, with
    /// no outbox, sends at once and is only for callers that hold no routing lock.
    public func publishMeta(topic: String, arguments: @autoclosure () -> RawJSON,
                            argumentsKw: @autoclosure () -> RawJSON? = nil) {
        var outbox = Outbox()
        publishMeta(topic: topic, arguments: arguments(), argumentsKw: argumentsKw(), into: &outbox)
        outbox.perform()
    }

    public func publishMeta(topic: String, arguments: @autoclosure () -> RawJSON,
                            argumentsKw: @autoclosure () -> RawJSON? = nil, shared: Bool = true, into outbox: inout Outbox) {
        let relay = self.relay.flatMap { shared && SharedMetaTopics.contains(topic) ? $0 : nil }
        let targets = state.withLock { state -> Targets? in
            guard let found = state.targets(topic) else {
                return relay == nil ? nil : Targets(exact: nil, patterns: [], publication: state.ids.next())
            }
            return Targets(exact: found.exact, patterns: found.patterns, publication: state.ids.next())
        }
        guard let targets else { return }
        let payload = Payload(arguments: arguments(), argumentsKw: argumentsKw())
        var payloads = PublicationPayloads(payload)
        deliver(targets, topic: topic, payloads: &payloads,
                details: EventDetails(), publisher: nil, excludeMe: false, filter: nil, into: &outbox)
        if payloads.anyUndelivered { _ = undelivered(payloads, publication: targets.publication, topic: topic) }
        if let relay {
            // The router is the publisher (ID 0, never a session's): nothing to exclude or disclose.
            let relayed = RelayedPublication(publication: targets.publication, topic: topic, payload: payload, publisher: 0,
                                             excludeMe: false)
            outbox.run { relay.publish(relayed, done: nil) }
        }
    }

    /// A PUBLISH carrying `ppt_*` options from a publisher that did not announce
    /// `roles.publisher.features.payload_passthru_mode` is a protocol error (spec "Payload Passthru
    /// Mode"). The session layer may call this before `publish` and abort on a non-nil result.
    public static func passthruViolation(_ message: Publish, from session: RealmSession) -> RoutingViolation? {
        guard PayloadPassthru.isUsed(by: message.options) else { return nil }
        let announced = session.roles?.object("publisher")?.object("features")?.bool("payload_passthru_mode") == true
        return announced ? nil : RoutingViolation("PUBLISH uses payload passthru mode, which the publisher did not announce")
    }

    private func deliver<Sink: MessageSink>(_ targets: Targets, topic: String, payloads: inout PublicationPayloads,
                                            details: EventDetails, publisher: WampID?, excludeMe: Bool,
                                            filter: PublicationFilter?, into sink: inout Sink) {
        if let exact = targets.exact {
            deliver(exact, publication: targets.publication, details: details.make(), payloads: &payloads,
                    publisher: publisher, excludeMe: excludeMe, filter: filter, into: &sink)
        }
        if !targets.patterns.isEmpty {
            let patternDetails = details.make(topic: topic)
            for subscription in targets.patterns {
                deliver(subscription, publication: targets.publication, details: patternDetails, payloads: &payloads,
                        publisher: publisher, excludeMe: excludeMe, filter: filter, into: &sink)
            }
        }
    }

    /// One encoding per subscription and serializer, shared by its receivers; skipped receivers
    /// cost no encoding. A receiver whose serializer cannot represent the payload, or that
    /// accepts no message this large, is skipped and recorded in `payloads`.
    private func deliver<Sink: MessageSink>(_ subscription: Subscription, publication: WampID, details: JSONValue,
                                            payloads: inout PublicationPayloads, publisher: WampID?, excludeMe: Bool,
                                            filter: PublicationFilter?, into sink: inout Sink) {
        var encodings = SubscriptionEncodings()
        for (subscriberID, subscriber) in subscription.subscribers {
            if excludeMe && subscriberID == publisher { continue }
            if let filter, !filter.admits(subscriber) { continue }
            let peer = subscriber.peer
            let serialization = peer.serialization
            let encoded: EncodedMessage
            if let done = encodings[serialization] {
                encoded = done
            } else {
                guard let payload = payloads.payload(in: serialization) else {
                    payloads.refused(.notRepresentable(payloads.failure(in: serialization) ?? ""))
                    continue
                }
                // The payload is already in `serialization`: encoding it converts nothing and cannot fail.
                let event = WampMessage.event(Event(subscription: subscription.id, publication: publication, details: details, payload: payload))
                guard var made = try? serialization.encode(event) else {
                    payloads.refused(.notRepresentable("the event could not be encoded"))
                    continue
                }
                if subscription.subscribers.count > 1 { made.transportCache = TransportEncodingCache() }
                encodings[serialization] = made
                encoded = made
            }
            guard encoded.bytes.readableBytes <= peer.maxMessageSize else {
                payloads.refused(.tooLarge(size: encoded.bytes.readableBytes, limit: peer.maxMessageSize))
                continue
            }
            sink.send(encoded, to: peer)
        }
    }
}
