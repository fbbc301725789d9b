import WampMessages

/// A session as `wamp.session.on_leave` names it (its ID, authid and authrole): what a cluster
/// node keeps of other nodes' sessions so their `on_leave` can fire when their node dies.
package struct SessionMember: Sendable, Equatable {
    package let id: WampID
    package let authid: String
    package let authrole: String

    package init(id: WampID, authid: String, authrole: String) {
        self.id = id
        self.authid = authid
        self.authrole = authrole
    }

    /// `[id, authid, authrole]`, the arguments of `on_leave`.
    package var json: JSONValue {
        let array = JSONValue.makeArray()
        array.append(integer: Int64(id))
        array.append(string: authid)
        array.append(string: authrole)
        return array
    }

    /// From `[id, authid, authrole]` (`on_leave`'s arguments) or an `on_join` details object
    /// (`session`, `authid`, `authrole`); nil for anything else.
    package init?(_ value: JSONValue) {
        if value.isArray {
            guard let id = value.element(0)?.integerValue, WampIDRange.contains(id),
                  let authid = value.element(1)?.stringValue, let authrole = value.element(2)?.stringValue else { return nil }
            self.init(id: WampID(id), authid: authid, authrole: authrole)
        } else if value.isObject {
            guard let id = value.integer("session"), WampIDRange.contains(id),
                  let authid = value.string("authid"), let authrole = value.string("authrole") else { return nil }
            self.init(id: WampID(id), authid: authid, authrole: authrole)
        } else {
            return nil
        }
    }
}
