import Synchronization
import WampMessages

/// Remote procedure call routing for one realm (Basic Profile: exact match, single callee).
///
/// A CALL becomes an INVOCATION under a request ID the dealer draws from the callee's own
/// counter (session scope, from 1). The pending call is kept under that (callee, request) pair
/// until the callee answers with YIELD or ERROR, or leaves, in which case the caller gets
/// `wamp.error.canceled` at once.
public final class Dealer: Sendable {
    struct Registration {
        let id: WampID
        let procedure: String
        let callee: RealmSession
    }

    struct InvocationKey: Hashable {
        let callee: WampID
        let request: WampID
    }

    struct CallKey: Hashable {
        let caller: WampID
        let request: WampID
    }

    struct PendingCall {
        let caller: RealmSession
        let callRequest: WampID
        let registration: WampID
    }

    struct State {
        var registrationByProcedure: [String: WampID] = [:]
        var registrations: [WampID: Registration] = [:]
        var registrationsBySession: [WampID: Set<WampID>] = [:]
        var pendingByInvocation: [InvocationKey: PendingCall] = [:]
        var invocationByCall: [CallKey: InvocationKey] = [:]
        var nextInvocationRequest: [WampID: WampID] = [:]
        var ids = IDGenerator()
    }

    private let state = Mutex(State())
    private let uris: URIValidator

    public init(uris: URIValidator) {
        self.uris = uris
    }

    public func register(_ message: Register, from session: RealmSession) {
        if let match = message.options.string("match"), match != "exact" {
            session.peer.send(.error(ErrorMessage(
                requestType: .register, request: message.request, error: ErrorURI.invalidArgument,
                message: "registration match policy '\(match)' is not supported by this router")))
            return
        }
        if let invoke = message.options.string("invoke"), invoke != "single" {
            session.peer.send(.error(ErrorMessage(
                requestType: .register, request: message.request, error: ErrorURI.invalidArgument,
                message: "invocation policy '\(invoke)' is not supported by this router")))
            return
        }
        guard uris.isValid(message.procedure) else {
            session.peer.send(.error(ErrorMessage(
                requestType: .register, request: message.request, error: ErrorURI.invalidURI,
                message: "'\(message.procedure)' is not a valid procedure URI")))
            return
        }
        guard !message.procedure.hasPrefix("wamp.") else {
            session.peer.send(.error(ErrorMessage(
                requestType: .register, request: message.request, error: ErrorURI.invalidURI,
                message: "procedure '\(message.procedure)' is under the reserved prefix 'wamp.'")))
            return
        }
        let registrationID = state.withLock { state -> WampID? in
            guard state.registrationByProcedure[message.procedure] == nil else { return nil }
            var id = state.ids.next()
            while state.registrations[id] != nil { id = state.ids.next() }
            state.registrationByProcedure[message.procedure] = id
            state.registrations[id] = Registration(id: id, procedure: message.procedure, callee: session)
            state.registrationsBySession[session.id, default: []].insert(id)
            return id
        }
        if let registrationID {
            session.peer.send(.registered(Registered(request: message.request, registration: registrationID)))
        } else {
            session.peer.send(.error(ErrorMessage(
                requestType: .register, request: message.request, error: ErrorURI.procedureAlreadyExists,
                message: "procedure '\(message.procedure)' is already registered")))
        }
    }

    public func unregister(_ message: Unregister, from session: RealmSession) {
        let removed = state.withLock { state -> Bool in
            guard let registration = state.registrations[message.registration],
                  registration.callee.id == session.id else { return false }
            state.removeRegistration(registration)
            return true
        }
        if removed {
            session.peer.send(.unregistered(Unregistered(request: message.request)))
        } else {
            session.peer.send(.error(ErrorMessage(
                requestType: .unregister, request: message.request, error: ErrorURI.noSuchRegistration,
                message: "session has no registration \(message.registration)")))
        }
    }

    /// Routes a CALL to its callee, or answers the caller with ERROR. Throws when the caller
    /// reuses a request ID that is still pending.
    public func call(_ message: Call, from session: RealmSession) throws(RoutingViolation) {
        guard uris.isValid(message.procedure) else {
            session.peer.send(.error(ErrorMessage(
                requestType: .call, request: message.request, error: ErrorURI.invalidURI,
                message: "'\(message.procedure)' is not a valid procedure URI")))
            return
        }
        enum Decision {
            case invoke(callee: RealmSession, request: WampID, registration: WampID)
            case noSuchProcedure
            case requestInUse
        }
        let decision = state.withLock { state -> Decision in
            let callKey = CallKey(caller: session.id, request: message.request)
            guard state.invocationByCall[callKey] == nil else { return .requestInUse }
            guard let registrationID = state.registrationByProcedure[message.procedure],
                  let registration = state.registrations[registrationID] else { return .noSuchProcedure }
            let callee = registration.callee
            let request = state.nextInvocationRequest[callee.id, default: 1]
            state.nextInvocationRequest[callee.id] = request == WampIDRange.max ? 1 : request + 1
            let invocationKey = InvocationKey(callee: callee.id, request: request)
            state.pendingByInvocation[invocationKey] = PendingCall(
                caller: session, callRequest: message.request, registration: registrationID)
            state.invocationByCall[callKey] = invocationKey
            return .invoke(callee: callee, request: request, registration: registrationID)
        }
        switch decision {
        case .requestInUse:
            throw RoutingViolation("CALL request ID \(message.request) is already in use by a pending call")
        case .noSuchProcedure:
            session.peer.send(.error(ErrorMessage(
                requestType: .call, request: message.request, error: ErrorURI.noSuchProcedure,
                message: "no callee registered procedure '\(message.procedure)'")))
        case .invoke(let callee, let request, let registration):
            callee.peer.send(.invocation(Invocation(
                request: request, registration: registration, details: Dealer.emptyDetails, payload: message.payload)))
        }
    }

    /// A callee's result: RESULT to the caller. A YIELD for no pending invocation (the caller
    /// left, or the callee is confused) is ignored and reported to the caller of this method.
    @discardableResult
    public func yield(_ message: Yield, from session: RealmSession) -> Bool {
        guard let pending = settle(callee: session.id, request: message.request) else { return false }
        pending.caller.peer.send(.result(Result(
            request: pending.callRequest, details: Dealer.emptyDetails, payload: message.payload)))
        return true
    }

    /// A callee's ERROR for an INVOCATION: ERROR to the caller with the same URI and payload.
    @discardableResult
    public func invocationError(_ message: ErrorMessage, from session: RealmSession) -> Bool {
        guard let pending = settle(callee: session.id, request: message.request) else { return false }
        pending.caller.peer.send(.error(ErrorMessage(
            requestType: .call, request: pending.callRequest, details: Dealer.emptyDetails,
            error: message.error, payload: message.payload)))
        return true
    }

    /// Removes a leaving session's registrations and settles every call it was part of: its
    /// callers get `wamp.error.canceled`; calls it made are forgotten.
    public func removeSession(_ sessionID: WampID) {
        let orphaned = state.withLock { state -> [PendingCall] in
            for id in state.registrationsBySession[sessionID] ?? [] {
                if let registration = state.registrations[id] { state.removeRegistration(registration) }
            }
            state.nextInvocationRequest[sessionID] = nil
            var orphaned: [PendingCall] = []
            for (key, pending) in state.pendingByInvocation where key.callee == sessionID || pending.caller.id == sessionID {
                state.pendingByInvocation[key] = nil
                state.invocationByCall[CallKey(caller: pending.caller.id, request: pending.callRequest)] = nil
                if pending.caller.id != sessionID { orphaned.append(pending) }
            }
            return orphaned
        }
        for pending in orphaned {
            pending.caller.peer.send(.error(ErrorMessage(
                requestType: .call, request: pending.callRequest, error: ErrorURI.canceled,
                message: "the callee left before answering")))
        }
    }

    public var registrationCount: Int { state.withLock { $0.registrations.count } }
    public var pendingCallCount: Int { state.withLock { $0.pendingByInvocation.count } }

    private func settle(callee: WampID, request: WampID) -> PendingCall? {
        state.withLock { state in
            guard let pending = state.pendingByInvocation.removeValue(forKey: InvocationKey(callee: callee, request: request)) else {
                return nil
            }
            state.invocationByCall[CallKey(caller: pending.caller.id, request: pending.callRequest)] = nil
            return pending
        }
    }

    /// Shared, never mutated: INVOCATION and RESULT Details of the Basic Profile are empty.
    static let emptyDetails = JSONValue.emptyObject
}

extension Dealer.State {
    mutating func removeRegistration(_ registration: Dealer.Registration) {
        registrations[registration.id] = nil
        registrationByProcedure[registration.procedure] = nil
        registrationsBySession[registration.callee.id]?.remove(registration.id)
        if registrationsBySession[registration.callee.id]?.isEmpty == true {
            registrationsBySession[registration.callee.id] = nil
        }
    }
}
