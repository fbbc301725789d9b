import WampMessages

/// Testaments: kept in the session table, published when the session leaves, copied to the
/// `TestamentKeeper` when there is one.
extension Realm {
    /// False when the session already holds `maxTestamentsPerSession` testaments.
    func addTestament(_ testament: Testament, scope: Testament.Scope, for sessionID: WampID) -> Bool {
        let limit = limits.maxTestamentsPerSession
        let keeper = testamentKeeper
        let (added, copy) = sessions.withLock { sessions -> (Bool, SessionTestaments?) in
            guard var record = sessions[sessionID] else { return (true, nil) }
            guard record.detachedTestaments.count + record.destroyedTestaments.count < limit else { return (false, nil) }
            switch scope {
            case .detached: record.detachedTestaments.append(testament)
            case .destroyed: record.destroyedTestaments.append(testament)
            }
            record.testamentChanges += 1
            sessions[sessionID] = record
            return (true, keeper == nil ? nil : record.testaments)
        }
        if let keeper, let copy { keeper.testamentsChanged(copy) }
        return added
    }

    func flushTestaments(scope: Testament.Scope, for sessionID: WampID) -> Int {
        let keeper = testamentKeeper
        let (flushed, copy) = sessions.withLock { sessions -> (Int, SessionTestaments?) in
            guard var record = sessions[sessionID] else { return (0, nil) }
            let flushed: Int
            switch scope {
            case .detached:
                flushed = record.detachedTestaments.count
                record.detachedTestaments = []
            case .destroyed:
                flushed = record.destroyedTestaments.count
                record.destroyedTestaments = []
            }
            guard flushed > 0 else { return (0, nil) }
            record.testamentChanges += 1
            sessions[sessionID] = record
            return (flushed, keeper == nil ? nil : record.testaments)
        }
        if let keeper, let copy { keeper.testamentsChanged(copy) }
        return flushed
    }

    /// Publishes the testaments of a session this process never held, whose node died (the
    /// cluster found them in its store): as the session's own publications (its ID, authid and
    /// authrole, so `exclude_me`, disclosure and the lists apply as if it had published),
    /// detached scope first. Returns how many the broker refused (counted, logged as below).
    @discardableResult
    public func publishTestaments(ofDeparted testaments: SessionTestaments) -> Int {
        let departed = RealmSession(id: testaments.session, peer: DepartedPeer(), authid: testaments.authid,
                                    authrole: testaments.authrole)
        departed.markLeft()
        return publish(testaments.detached + testaments.destroyed, from: departed)
    }

    /// Returns how many the broker refused or could not deliver to every subscriber. A testament
    /// has no one to answer: each is counted with the unacknowledged publications refused, and
    /// logged first, then once per 1,024 (a client could leave sessions in a loop).
    @discardableResult
    func publish(_ testaments: [Testament], from session: RealmSession) -> Int {
        var refused = 0
        for testament in testaments {
            let message = Publish(request: 1, options: testament.publishOptions, topic: testament.topic, payload: testament.payload)
            guard let why = broker.publish(message, from: session) else { continue }
            refused += 1
            guard counters.add(.unacknowledgedPublishRefused) else { continue }
            logger.notice("testament not published to every subscriber", metadata: [
                "session": "\(session.id)", "topic": "\(LogText.quoted(testament.topic))", "why": "\(LogText.quoted(why))",
                "refusedTotal": "\(counters.value(.unacknowledgedPublishRefused))",
            ])
        }
        return refused
    }
}
