import WampMessages

/// One procedure registration: a URI with its match and invocation policies, and the callees that
/// share it, in registration order.
public struct Registration: Sendable {
    public let id: WampID
    public let procedure: String
    public let match: MatchPolicy
    public let invoke: InvokePolicy
    public let created: String
    /// The callee asked (REGISTER.Options.disclose_caller) to learn who calls it.
    public let discloseCaller: Bool
    public internal(set) var callees: [RealmSession]
    var nextRoundRobin = 0

    /// The callee for the next call, with what the INVOCATION needs to know of this registration.
    mutating func route() -> (callee: RealmSession, match: MatchPolicy, discloseCaller: Bool) {
        (nextCallee(), match, discloseCaller)
    }

    /// The callee for the next call under this registration's invocation policy.
    mutating func nextCallee() -> RealmSession {
        switch invoke {
        case .single, .first:
            return callees[0]
        case .last:
            return callees[callees.count - 1]
        case .random:
            return callees.randomElement()!
        case .roundrobin:
            let callee = callees[nextRoundRobin % callees.count]
            nextRoundRobin = (nextRoundRobin + 1) % callees.count
            return callee
        }
    }

    /// `RegistrationDetails` of the meta API.
    public var details: JSONValue {
        let details = JSONValue.makeObject()
        details.set("id", integer: Int64(id))
        details.set("created", string: created)
        details.set("uri", string: procedure)
        details.set("match", string: match.rawValue)
        details.set("invoke", string: invoke.rawValue)
        return details
    }
}
