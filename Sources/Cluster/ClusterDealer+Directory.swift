import Foundation
import NATSClient
import NIOCore
import Realm
import WampMessages

/// The registration directory in the `wamp_registrations` bucket: REGISTER is an atomic create
/// (or a compare-and-set that adds a callee to a shared registration), UNREGISTER and a callee's
/// departure a compare-and-set that removes it (a conditional delete for the last one). Each
/// change is applied here, then announced to every live node and answered once all of them
/// acknowledged (or `ackTimeout` passed), so the very next CALL on any node sees it.
extension ClusterDealer {
    // MARK: DealerCluster

    public func register(_ request: ClusterRegisterRequest, completion: @escaping @Sendable (ClusterRegisterOutcome) -> Void) {
        let admitted = state.withLock { state -> Bool in
            guard !state.stopped, state.changesInFlight < limits.maxDirectoryChangesInFlight else { return false }
            state.changesInFlight += 1
            state.local[request.session.id, default: LocalCallee(session: request.session, holds: 0)].holds += 1
            return true
        }
        guard admitted else {
            return completion(.refused(uri: ErrorURI.limitExceeded, message:
                "\(limits.maxDirectoryChangesInFlight) registration changes are in flight on this node, the most allowed"))
        }
        Task {
            let outcome = await registerInDirectory(request)
            state.withLock { state in
                state.changesInFlight -= 1
                switch outcome {
                case .refused: releaseHold(request.session.id, in: &state)
                case .registered(let id, _):
                    let key = RegistrationRecord.key(realm: realm.name, procedure: request.procedure, match: request.match)
                    state.local[request.session.id]?.held[key] = (request, id)
                }
            }
            completion(outcome)
        }
    }

    public func unregister(session: RealmSession, registration: WampID,
                           completion: @escaping @Sendable (ClusterUnregisterOutcome) -> Void) {
        let key = state.withLock { state -> String? in
            guard !state.stopped, state.changesInFlight < limits.maxDirectoryChangesInFlight,
                  let key = state.keyByID[registration] else { return nil }
            state.changesInFlight += 1
            return key
        }
        guard let key else {
            return completion(.refused(uri: ErrorURI.limitExceeded, message:
                "\(limits.maxDirectoryChangesInFlight) registration changes are in flight on this node, the most allowed"))
        }
        let mine = isLocal(session.id)
        Task {
            let outcome: ClusterUnregisterOutcome
            do {
                let deleted = try await removeCallees(from: key, matching: mine)
                outcome = .unregistered(deleted: deleted ?? false)
                state.withLock { state in
                    state.local[session.id]?.held[key] = nil
                    releaseHold(session.id, in: &state)
                }
            } catch {
                outcome = .refused(uri: ErrorURI.clusterUnavailable, message: unavailable(error))
            }
            state.withLock { $0.changesInFlight -= 1 }
            completion(outcome)
        }
    }

    public func calleeRemoved(_ sessionID: WampID, from registrations: [WampID], sessionLeft: Bool) {
        let (node, keys, callers) = state.withLock { state -> (Int?, [(key: String, id: WampID)], [RealmSession]) in
            let keys = registrations.compactMap { id in state.keyByID[id].map { (key: $0, id: id) } }
            guard state.local[sessionID] != nil else {
                // A remote callee revoked here (`wamp.registration.remove_callee`): the directory
                // loses it too (its node tells it, through the forwarded UNREGISTERED).
                guard !sessionLeft, let remote = state.remoteCallees.keys.first(where: { $0.session == sessionID }) else {
                    return (slot, [], [])
                }
                return (remote.slot, keys, [])
            }
            var callers: [RealmSession] = []
            if sessionLeft {
                state.local[sessionID] = nil
                for (key, caller) in state.remoteCallers where key.session == sessionID {
                    state.remoteCallers[key] = nil
                    callers.append(caller)
                }
            } else {
                for id in registrations {
                    if let key = state.keyByID[id] { state.local[sessionID]?.held[key] = nil }
                    releaseHold(sessionID, in: &state)
                }
            }
            return (nil, keys, callers)
        }
        // The other nodes' stand-ins towards this callee go with it (and what the dealer kept for them).
        for caller in callers { dealer.removeSession(caller.id) }
        var ids: [String: WampID] = [:]
        for (key, id) in keys { ids[key] = id }
        let registrationIDs = ids
        let dealer = self.dealer
        // A leaving session's on_delete is the directory's to decide (Dealer.removeSession).
        var deleted: (@Sendable (String) -> Void)?
        if sessionLeft {
            deleted = { key in
                guard let id = registrationIDs[key] else { return }
                dealer.publishRegistrationDeleted(session: sessionID, registration: id)
            }
        }
        // nil: a local session, also under a slot this node held before.
        let matching: @Sendable (RegistrationRecord.Callee) -> Bool
        if let node {
            matching = { $0.slot == node && $0.session == sessionID }
        } else {
            matching = isLocal(sessionID)
        }
        cleanUp(Array(ids.keys), deleted: deleted, matching: matching)
    }

    /// Removes callees from keys in the background; counted in the changes in flight (which
    /// `stop` waits for) but never refused: a removal must not be lost to the bound. A removal
    /// that fails (NATS unreachable) leaves the callee to the next cleanup of its slot.
    /// `deleted` is called with each key whose removal deleted it.
    func cleanUp(_ keys: [String], deleted: (@Sendable (String) -> Void)? = nil,
                 matching: @escaping @Sendable (RegistrationRecord.Callee) -> Bool) {
        guard !keys.isEmpty else { return }
        state.withLock { $0.changesInFlight += 1 }
        Task {
            for key in keys {
                do {
                    if try await removeCallees(from: key, matching: matching) == true { deleted?(key) }
                } catch {
                    logger.warning("a callee could not be removed from the registration directory", metadata: [
                        "key": "\(key)", "why": "\(error)",
                    ])
                }
            }
            state.withLock { $0.changesInFlight -= 1 }
        }
    }

    private func releaseHold(_ sessionID: WampID, in state: inout State) {
        guard let holds = state.local[sessionID]?.holds else { return }
        if holds > 1 { state.local[sessionID]!.holds = holds - 1 } else { state.local[sessionID] = nil }
    }

    // MARK: Changes

    private func registerInDirectory(_ request: ClusterRegisterRequest) async -> ClusterRegisterOutcome {
        guard let kv = state.withLock({ $0.kv }) else {
            return .refused(uri: ErrorURI.clusterUnavailable, message: "the cluster is not started")
        }
        let key = RegistrationRecord.key(realm: realm.name, procedure: request.procedure, match: request.match)
        let session = request.session
        let me = storedCallee(session)
        for _ in 0..<limits.maxCompareAndSetAttempts {
            do {
                let entry = try await kv.get(key)
                var record = entry.flatMap { $0.operation == .put ? RegistrationRecord.decode($0.value) : nil }
                record?.callees.removeAll { !isAlive($0.slot) }
                let revision: UInt64
                let created: Bool
                if var existing = record, !existing.callees.isEmpty {
                    if existing.invoke == InvokePolicy.single.rawValue || existing.invoke != request.invoke.rawValue {
                        return .refused(uri: ErrorURI.procedureAlreadyExists, message:
                            "procedure '\(request.procedure)' is already registered with invocation policy '\(existing.invoke)'")
                    }
                    if existing.callees.contains(where: { $0.slot == slot && $0.session == session.id }) {
                        return .refused(uri: ErrorURI.procedureAlreadyExists, message: "this session already registered '\(request.procedure)'")
                    }
                    existing.callees.append(me)
                    record = existing
                    revision = try await kv.update(key, existing.encoded(), revision: entry!.revision)
                    created = false
                } else {
                    let fresh = RegistrationRecord(
                        id: nextRegistrationID(), procedure: request.procedure, match: request.match.rawValue,
                        invoke: request.invoke.rawValue, discloseCaller: request.discloseCaller,
                        created: Self.timestamp(), callees: [me])
                    record = fresh
                    if let entry, entry.operation == .put {
                        revision = try await kv.update(key, fresh.encoded(), revision: entry.revision)
                    } else {
                        revision = try await kv.create(key, fresh.encoded())
                    }
                    created = true
                }
                let value = record!.encoded()
                apply(key: key, revision: revision, value: value)
                await announce(key: key, revision: revision, value: value)
                if state.withLock({ $0.local[session.id] == nil }) {
                    // The session left while this was decided: take it out again.
                    _ = try? await removeCallees(from: key, matching: isLocal(session.id))
                    return .refused(uri: ErrorURI.canceled, message: "the session left")
                }
                return .registered(record!.id, created: created)
            } catch NATSKeyValueError.keyExists(_) {
                continue
            } catch NATSKeyValueError.wrongRevision(_) {
                continue
            } catch {
                return .refused(uri: ErrorURI.clusterUnavailable, message: unavailable(error))
            }
        }
        return .refused(uri: ErrorURI.clusterUnavailable, message:
            "the registration of '\(request.procedure)' changed \(limits.maxCompareAndSetAttempts) times while this REGISTER was decided")
    }

    /// Takes the callees `matching` off `key` (compare-and-set, retried), deleting the key when
    /// none is left; applies and announces the change. Returns whether it deleted the
    /// registration, nil when nothing matched.
    @discardableResult
    func removeCallees(from key: String, matching: @escaping @Sendable (RegistrationRecord.Callee) -> Bool) async throws -> Bool? {
        guard let kv = state.withLock({ $0.kv }) else { throw NATSError.closed }
        for _ in 0..<limits.maxCompareAndSetAttempts {
            guard let entry = try await kv.get(key), entry.operation == .put,
                  var record = RegistrationRecord.decode(entry.value), record.callees.contains(where: matching) else { return nil }
            record.callees.removeAll { matching($0) || !isAlive($0.slot) }
            do {
                let revision: UInt64
                let value: ByteBuffer?
                if record.callees.isEmpty {
                    revision = try await kv.delete(key, revision: entry.revision)
                    value = nil
                } else {
                    value = record.encoded()
                    revision = try await kv.update(key, value!, revision: entry.revision)
                }
                apply(key: key, revision: revision, value: value)
                await announce(key: key, revision: revision, value: value)
                return value == nil
            } catch NATSKeyValueError.wrongRevision(_) {
                continue
            }
        }
        throw NATSError.timeout
    }

    /// Sends the change to every live node and waits until each applied it or `ackTimeout` passed.
    func announce(key: String, revision: UInt64, value: ByteBuffer?) async {
        var headers = NATSHeaders([(ClusterSubjects.node, String(slot)), (ClusterSubjects.key, key),
                                   (ClusterSubjects.revision, String(revision))])
        if value == nil { headers.add(ClusterSubjects.deleted, "1") }
        let sent = headers
        let payload = value ?? ByteBuffer()
        let others = membership.liveSlots().filter { $0 != slot }
        await withTaskGroup(of: Void.self) { group in
            for other in others {
                group.addTask { [self] in
                    do {
                        _ = try await connection.request(subjects.announcements(other), payload: payload, headers: sent,
                                                         timeout: limits.ackTimeout)
                    } catch {
                        unacknowledged.add(1, ordering: .relaxed)
                        logger.warning("a live node did not acknowledge a registration change", metadata: [
                            "node": "\(other)", "key": "\(key)", "why": "\(error)",
                        ])
                    }
                }
            }
        }
    }

    /// A local session as the directory stores it.
    func storedCallee(_ session: RealmSession) -> RegistrationRecord.Callee {
        RegistrationRecord.Callee(slot: slot, session: session.id, features: session.features.rawValue,
                                  serialization: session.peer.serialization.rawValue, maxMessageSize: session.peer.maxMessageSize)
    }

    private func isAlive(_ node: Int) -> Bool {
        node == slot || !state.withLock { $0.lostSlots.contains(node) }
    }

    /// Registration IDs this node draws: its slot in the top 10 of WAMP's 53 bits, so two nodes
    /// never draw the same one; the key-value create decides which procedure keeps it.
    private func nextRegistrationID() -> WampID {
        state.withLock { state in
            state.nextIDCounter = state.nextIDCounter >= (1 << 43) - 1 ? 1 : state.nextIDCounter + 1
            return (UInt64(slot) << 43) | state.nextIDCounter
        }
    }

    private func unavailable(_ error: any Error) -> String {
        "the cluster's registration directory cannot be reached: \(error)"
    }

    static func timestamp() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date())
    }
}
