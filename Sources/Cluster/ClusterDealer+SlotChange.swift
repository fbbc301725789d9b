import NATSClient
import Realm
import WampMessages

/// After this node claimed another slot (ClusterNode `whenSlotChanged`): the old slot's subjects
/// and directory entries name another node now, or a lost one.
extension ClusterDealer {
    /// The subjects this node answers on while it holds `slot`.
    func slotSubjects(_ slot: Int) -> SlotSubscriptions.Subjects {
        [
            (subjects.invocations(slot), { @Sendable [weak self] in self?.received(invocation: $0) }),
            (subjects.results(slot), { @Sendable [weak self] in self?.received(result: $0) }),
            (subjects.announcements(slot), { @Sendable [weak self] in self?.received(announcement: $0) }),
        ]
    }

    /// Listens on the new slot's subjects instead of the old one's, ends the calls this node's
    /// callers have pending at other nodes (their answers go to the old slot's subject), and
    /// moves the local callees' entries to the new slot. After a reconnect the node calls the
    /// slot handlers before `reconnected()`, whose re-assertion then joins this one.
    func slotChanged(to new: Int) {
        let old: Int
        do {
            old = try listening.listen(slot: new, slotSubjects(new))
        } catch {
            logger.error("cluster subscriptions refused after a slot change", metadata: ["slot": "\(new)", "why": "\(error)"])
            return
        }
        guard let kv = state.withLock({ state -> NATSKeyValue? in
            if old > 0 && old != new { state.formerSlots.insert(old) }
            state.formerSlots.remove(new)
            return state.stopped ? nil : state.kv
        }) else { return }
        endCallsAtOtherNodes(slots: nil, why: "this node changed its cluster slot while the call was at another node; it may or may not have run")
        Task { await reassertHeld(kv) }
    }

    /// Whether a stored callee is local session `session`, under the current slot or a former one.
    func isLocal(_ session: WampID) -> @Sendable (RegistrationRecord.Callee) -> Bool {
        let current = slot
        let former = state.withLock { $0.formerSlots }
        return { $0.session == session && ($0.slot == current || former.contains($0.slot)) }
    }

    /// Re-asserts every registration the local sessions hold (see `reconnected()`); one asked
    /// while another runs makes that one go round again instead of racing it.
    func reassertHeld(_ kv: NATSKeyValue) async {
        let start = state.withLock { state -> Bool in
            guard !state.reasserting else {
                state.reassertAgain = true
                return false
            }
            state.reasserting = true
            return true
        }
        guard start else { return }
        var again = true
        while again {
            await reassertHeldOnce(kv)
            again = state.withLock { state in
                defer { state.reassertAgain = false }
                if !state.reassertAgain { state.reasserting = false }
                return state.reassertAgain
            }
        }
    }
}
