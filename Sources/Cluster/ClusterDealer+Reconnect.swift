import NATSClient
import Realm
import WampMessages

/// After NATS comes back: core NATS kept nothing for this node, and while it was away the other
/// nodes may have declared it lost and removed its callees from the directory.
extension ClusterDealer {
    /// Call on the connection's `reconnected` event (after the node holds its slot again, or
    /// another one: `ClusterNode` calls the slot handlers first, so `slotChanged(to:)` has moved
    /// the subjects and the entries here go under the new slot): the watch is made anew (its consumer may be gone with the server), and each registration this
    /// node's sessions hold is put back under its ID where it went missing. One whose procedure
    /// another node took meanwhile (another ID, or a policy that does not admit this callee) is
    /// revoked from its local callee: UNREGISTERED with reason `wamp.error.procedure_already_exists`.
    /// One key-value round trip per held registration, plus an announcement where one changed.
    public func reconnected() async {
        guard let kv = state.withLock({ $0.stopped ? nil : $0.kv }) else { return }
        do {
            try await watch(kv)
        } catch {
            logger.warning("the registration watch could not be made again", metadata: ["why": "\(error)"])
        }
        await reassertHeld(kv)
    }

    /// One pass of `reassertHeld`: each held registration, with its callee under the current slot.
    func reassertHeldOnce(_ kv: NATSKeyValue) async {
        let held = state.withLock { state in
            state.local.values.flatMap { callee in callee.held.map { (key: $0.key, request: $0.value.0, id: $0.value.1) } }
        }
        for registration in held {
            do {
                if try await !reassert(registration.request, id: registration.id, key: registration.key, kv: kv) {
                    revoke(registration.request.session, from: registration.id, key: registration.key)
                }
            } catch {
                logger.warning("a registration could not be put back in the directory", metadata: [
                    "key": "\(registration.key)", "why": "\(error)",
                ])
            }
        }
    }

    /// Puts the session back into `key` under `id`; false when the key now belongs to another
    /// registration or its policy does not admit another callee.
    private func reassert(_ request: ClusterRegisterRequest, id: WampID, key: String, kv: NATSKeyValue) async throws -> Bool {
        let session = request.session
        let me = storedCallee(session)
        let mine = isLocal(session.id)
        for _ in 0..<limits.maxCompareAndSetAttempts {
            let entry = try await kv.get(key)
            var record = entry.flatMap { $0.operation == .put ? RegistrationRecord.decode($0.value) : nil }
            if let existing = record, existing.callees.filter(mine).map(\.slot) == [me.slot] {
                return existing.id == id
            }
            do {
                let revision: UInt64
                if var existing = record {
                    // Under a former slot it is still this registration's callee: it moves (in
                    // its place) to the current slot, also in a single-callee registration.
                    let place = existing.callees.firstIndex(where: mine)
                    guard existing.id == id, place != nil || existing.invoke != InvokePolicy.single.rawValue else { return false }
                    existing.callees.removeAll(where: mine)
                    existing.callees.insert(me, at: place ?? existing.callees.count)
                    record = existing
                    revision = try await kv.update(key, existing.encoded(), revision: entry!.revision)
                } else {
                    let fresh = RegistrationRecord(
                        id: id, procedure: request.procedure, match: request.match.rawValue, invoke: request.invoke.rawValue,
                        discloseCaller: request.discloseCaller, created: ClusterDealer.timestamp(), callees: [me])
                    record = fresh
                    revision = try await (entry == nil ? kv.create(key, fresh.encoded())
                                                        : kv.update(key, fresh.encoded(), revision: entry!.revision))
                }
                let value = record!.encoded()
                apply(key: key, revision: revision, value: value)
                await announce(key: key, revision: revision, value: value)
                return true
            } catch NATSKeyValueError.wrongRevision(_) {
                continue
            } catch NATSKeyValueError.keyExists(_) {
                continue
            }
        }
        throw NATSError.timeout
    }

    /// Ends a local callee's registration that the cluster gave away while this node was cut off.
    private func revoke(_ session: RealmSession, from id: WampID, key: String) {
        state.withLock { _ = $0.local[session.id]?.held.removeValue(forKey: key) }
        let reason = ErrorURI.procedureAlreadyExists
        // The dealer may already have dropped it (the key now names another registration).
        if !dealer.removeCallee(session.id, from: id, reason: reason), session.features.contains(.calleeRegistrationRevocation) {
            let details = JSONValue.makeObject()
            details.set("registration", integer: Int64(id))
            details.set("reason", string: reason)
            session.peer.send(.unregistered(Unregistered(request: 0, details: details)))
        }
        logger.notice("a registration taken by another node while this one was away is revoked", metadata: [
            "key": "\(key)", "session": "\(session.id)",
        ])
    }
}
