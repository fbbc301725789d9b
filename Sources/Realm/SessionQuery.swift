import WampMessages

/// `wamp.session.count`, `list` or `get`, or `wamp.subscription.list_subscribers` or
/// `count_subscribers`, as a clustered node asks the other nodes (docs/cluster.md "Sessions and
/// the meta API"). Each node answers for its own sessions; query and answer travel as JSON text,
/// so the cluster carries them without knowing what they mean.
public enum SessionQuery: Sendable, Equatable {
    /// `authroles` nil: every session.
    case count(authroles: [String]?)
    case list(authroles: [String]?)
    case get(WampID)
    /// The sessions subscribed to a subscription (one ID cluster-wide); `countOnly`: the number.
    case subscribers(WampID, countOnly: Bool)
    /// `wamp.session.kill*`: each node ends its sessions `target` names, except the caller.
    case kill(KillTarget, except: WampID, reason: String, message: String?)
    /// `wamp.subscription.remove_subscriber`: the node that has the subscriber removes it.
    case removeSubscriber(WampID, subscription: WampID, reason: String?)
    /// `wamp.subscription.get_events`: each node's history of the subscription, as the caller
    /// (ID, authid, authrole: the black- and whitelists) may see it.
    case history(WampID, caller: WampID, authid: String, authrole: String)
    /// Every session with its authid and authrole: how a node that starts learns the others'
    /// sessions, to fire their `on_leave` should their node die.
    case roster

    /// The sessions a kill procedure ends.
    public enum KillTarget: Sendable, Equatable {
        case session(WampID)
        case authid(String)
        case authrole(String)
        case all

        func names(_ session: RealmSession) -> Bool {
            switch self {
            case .session(let id): session.id == id
            case .authid(let authid): session.authid == authid
            case .authrole(let authrole): session.authrole == authrole
            case .all: true
            }
        }
    }

    public var text: String {
        let object = JSONValue.makeObject()
        switch self {
        case .count(let roles):
            object.set("q", string: "count")
            Self.set(roles, in: object)
        case .list(let roles):
            object.set("q", string: "list")
            Self.set(roles, in: object)
        case .get(let id):
            object.set("q", string: "get")
            object.set("session", integer: Int64(id))
        case .subscribers(let id, let countOnly):
            object.set("q", string: countOnly ? "count_subscribers" : "subscribers")
            object.set("subscription", integer: Int64(id))
        case .kill(let target, let except, let reason, let message):
            object.set("q", string: "kill")
            switch target {
            case .session(let id): object.set("session", integer: Int64(id))
            case .authid(let authid): object.set("authid", string: authid)
            case .authrole(let authrole): object.set("authrole", string: authrole)
            case .all: object.set("all", bool: true)
            }
            object.set("except", integer: Int64(except))
            object.set("reason", string: reason)
            if let message { object.set("message", string: message) }
        case .removeSubscriber(let session, let subscription, let reason):
            object.set("q", string: "remove_subscriber")
            object.set("session", integer: Int64(session))
            object.set("subscription", integer: Int64(subscription))
            if let reason { object.set("reason", string: reason) }
        case .history(let subscription, let caller, let authid, let authrole):
            object.set("q", string: "history")
            object.set("subscription", integer: Int64(subscription))
            object.set("caller", integer: Int64(caller))
            object.set("authid", string: authid)
            object.set("authrole", string: authrole)
        case .roster:
            object.set("q", string: "roster")
        }
        return object.jsonText
    }

    private static func set(_ roles: [String]?, in object: JSONValue) {
        guard let roles else { return }
        let array = JSONValue.makeArray()
        for role in roles { array.append(string: role) }
        object.set("authroles", array)
    }

    public init?(text: String) {
        guard let object = JSONValue.parse(text), object.isObject, let kind = object.string("q") else { return nil }
        var roles: [String]?
        if let value = object.value("authroles") {
            guard let list = value.stringArray else { return nil }
            roles = list
        }
        switch kind {
        case "count": self = .count(authroles: roles)
        case "list": self = .list(authroles: roles)
        case "get":
            guard let id = object.integer("session"), WampIDRange.contains(id) else { return nil }
            self = .get(WampID(id))
        case "subscribers", "count_subscribers":
            guard let id = object.integer("subscription"), WampIDRange.contains(id) else { return nil }
            self = .subscribers(WampID(id), countOnly: kind == "count_subscribers")
        case "kill":
            guard let except = object.integer("except"), WampIDRange.contains(except), let reason = object.string("reason") else { return nil }
            let target: KillTarget
            if let id = object.integer("session") {
                guard WampIDRange.contains(id) else { return nil }
                target = .session(WampID(id))
            } else if let authid = object.string("authid") {
                target = .authid(authid)
            } else if let authrole = object.string("authrole") {
                target = .authrole(authrole)
            } else if object.bool("all") == true {
                target = .all
            } else {
                return nil
            }
            var message: String?
            if let value = object.value("message") {
                guard let text = value.stringValue else { return nil }
                message = text
            }
            self = .kill(target, except: WampID(except), reason: reason, message: message)
        case "remove_subscriber":
            guard let session = object.integer("session"), WampIDRange.contains(session),
                  let subscription = object.integer("subscription"), WampIDRange.contains(subscription) else { return nil }
            var reason: String?
            if let value = object.value("reason") {
                guard let text = value.stringValue else { return nil }
                reason = text
            }
            self = .removeSubscriber(WampID(session), subscription: WampID(subscription), reason: reason)
        case "history":
            guard let subscription = object.integer("subscription"), WampIDRange.contains(subscription),
                  let caller = object.integer("caller"), WampIDRange.contains(caller),
                  let authid = object.string("authid"), let authrole = object.string("authrole") else { return nil }
            self = .history(WampID(subscription), caller: WampID(caller), authid: authid, authrole: authrole)
        case "roster": self = .roster
        default: return nil
        }
    }

    /// One node's answer, or several merged.
    package struct Answer: Sendable, Equatable {
        var count = 0
        var sessions: [WampID] = []
        /// The list stopped at its byte bound (some sessions are not in it).
        package var truncated = false
        /// `SessionDetails` of the session asked for, as JSON text; nil when it is not there.
        var details: String?
        /// Stored events (`get_events`), each as `HistoryItem` JSON text, in each node's order.
        var events: [String] = []
        /// `roster`: the sessions with their authid and authrole.
        package var members: [SessionMember] = []

        package init() {}

        var text: String {
            let object = JSONValue.makeObject()
            object.set("count", integer: Int64(count))
            let array = JSONValue.makeArray()
            for id in sessions { array.append(integer: Int64(id)) }
            object.set("sessions", array)
            if truncated { object.set("truncated", bool: true) }
            if let details, let value = JSONValue.parse(details) { object.set("details", value) }
            if !events.isEmpty {
                let list = JSONValue.makeArray()
                for item in events { if let value = JSONValue.parse(item) { list.append(value) } }
                object.set("events", list)
            }
            if !members.isEmpty {
                let list = JSONValue.makeArray()
                for member in members { list.append(member.json) }
                object.set("roster", list)
            }
            return object.jsonText
        }

        package init?(text: String) {
            guard let object = JSONValue.parse(text), object.isObject, let count = object.integer("count"), count >= 0,
                  let ids = object.value("sessions")?.integerArray, ids.allSatisfy({ WampIDRange.contains($0) }) else { return nil }
            self.count = Int(count)
            sessions = ids.map { WampID($0) }
            truncated = object.bool("truncated") ?? false
            if let details = object.value("details") {
                guard details.isObject else { return nil }
                self.details = details.jsonText
            }
            if let events = object.value("events") {
                guard events.isArray else { return nil }
                var index = 0
                while let item = events.element(index) {
                    guard item.isObject else { return nil }
                    self.events.append(item.jsonText)
                    index += 1
                }
            }
            if let roster = object.value("roster") {
                guard roster.isArray else { return nil }
                var index = 0
                while let item = roster.element(index) {
                    guard let member = SessionMember(item) else { return nil }
                    members.append(member)
                    index += 1
                }
            }
        }

        /// Adds `other`'s sessions while the list's JSON text stays within `maxBytes`.
        mutating func add(_ other: Answer, maxBytes: Int) {
            count += other.count
            truncated = truncated || other.truncated
            details = details ?? other.details
            events += other.events
            var bytes = Self.listBytes(sessions)
            for id in other.sessions {
                bytes += Self.bytes(id)
                guard bytes <= maxBytes else {
                    truncated = true
                    break
                }
                sessions.append(id)
            }
        }

        /// Bytes the IDs take in a JSON list: digits and a separator each, and the brackets.
        static func listBytes(_ ids: [WampID]) -> Int {
            ids.reduce(2) { $0 + bytes($1) }
        }

        private static func bytes(_ id: WampID) -> Int { String(id).utf8.count + 1 }
    }
}

extension Realm {
    /// This node's answer to another node's `SessionQuery` text; nil when it does not parse.
    /// `maxBytes` bounds the session list (the cluster's message size and `maxAnswerBytes`).
    public func answerSessionQuery(_ text: String, maxBytes: Int) -> String? {
        SessionQuery(text: text).map { localAnswer($0, maxBytes: maxBytes).text }
    }

    func localAnswer(_ query: SessionQuery, maxBytes: Int) -> SessionQuery.Answer {
        var answer = SessionQuery.Answer()
        switch query {
        case .count(let roles):
            answer.count = allSessions.filter { session in roles.map { $0.contains(session.authrole) } ?? true }.count
        case .list(let roles):
            var found = SessionQuery.Answer()
            found.sessions = allSessions.filter { session in roles.map { $0.contains(session.authrole) } ?? true }.map(\.id)
            answer.add(found, maxBytes: maxBytes)
        case .get(let id):
            answer.details = session(id).map { Realm.sessionDetails($0).jsonText }
        case .subscribers(let id, let countOnly):
            let subscribers = broker.subscribers(of: id) ?? []
            answer.count = subscribers.count
            if !countOnly {
                var found = SessionQuery.Answer()
                found.sessions = subscribers
                answer.add(found, maxBytes: maxBytes)
                answer.count = subscribers.count
            }
        case .kill(let target, let except, let reason, let message):
            // The reason was checked as a URI where the procedure was called.
            let victims = allSessions.filter { $0.id != except && target.names($0) }
            for victim in victims { victim.peer.kill(reason: reason, message: message) }
            var killed = SessionQuery.Answer()
            killed.sessions = victims.map(\.id)
            answer.add(killed, maxBytes: maxBytes)
            answer.count = victims.count
        case .removeSubscriber(let session, let subscription, let reason):
            answer.count = broker.removeSubscriber(session, from: subscription, reason: reason) ? 1 : 0
        case .history(let subscription, let caller, let authid, let authrole):
            let asker = RealmSession(id: caller, peer: DepartedPeer(), authid: authid, authrole: authrole)
            var bytes = 2
            for event in broker.historyOfClusterSubscription(subscription, visibleTo: asker) ?? [] {
                let item = HistoryItem(event).text
                bytes += item.utf8.count + 1
                guard bytes <= maxBytes else {
                    answer.truncated = true
                    break
                }
                answer.events.append(item)
            }
            answer.count = answer.events.count
        case .roster:
            var bytes = 2
            for session in allSessions {
                let member = SessionMember(id: session.id, authid: session.authid, authrole: session.authrole)
                bytes += member.json.jsonText.utf8.count + 1
                guard bytes <= maxBytes else {
                    answer.truncated = true
                    break
                }
                answer.members.append(member)
            }
            answer.count = answer.members.count
        }
        return answer
    }
}
