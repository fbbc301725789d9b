import WampMessages

/// `PUBLISH.Options` of the Advanced Profile, read once per publication and only when the
/// options dictionary is not empty.
struct PublicationOptions: Sendable {
    var acknowledge = false
    var excludeMe = true
    var retain = false
    var filter: PublicationFilter?
    var details = EventDetails()

    static let basic = PublicationOptions()

    /// A malformed option, reported to the publisher as `wamp.error.invalid_argument`.
    struct Invalid: Error {
        var message: String
    }

    init() {}

    init(parsing options: JSONValue, publisher: RealmSession) throws(Invalid) {
        acknowledge = options.bool("acknowledge") ?? false
        excludeMe = try Self.bool(options, "exclude_me") ?? true
        retain = try Self.bool(options, "retain") ?? false
        filter = try PublicationFilter(parsing: options)
        if try Self.bool(options, "disclose_me") == true {
            details.publisher = publisher.id
            details.publisherAuthid = publisher.authid
            details.publisherAuthrole = publisher.authrole
        }
        details.passthru = try Self.passthru(options)
    }

    static func bool(_ options: JSONValue, _ key: String) throws(Invalid) -> Bool? {
        guard options.contains(key) else { return nil }
        guard let value = options.bool(key) else { throw Invalid(message: "option '\(key)' must be a boolean") }
        return value
    }

    /// `ppt_*` options, copied unchanged into EVENT.Details. Each must be a string, and
    /// `ppt_scheme` ("a required string attribute") must be present and non-empty when any is.
    static func passthru(_ options: JSONValue) throws(Invalid) -> [(key: String, value: String)] {
        var result: [(key: String, value: String)] = []
        for key in PayloadPassthru.keys where options.contains(key) {
            guard let value = options.string(key) else { throw Invalid(message: "option '\(key)' must be a string") }
            result.append((key, value))
        }
        guard !result.isEmpty else { return [] }
        guard let scheme = result.first(where: { $0.key == "ppt_scheme" }), !scheme.value.isEmpty else {
            throw Invalid(message: "payload passthru mode needs a non-empty 'ppt_scheme' option")
        }
        return result
    }
}

/// Subscriber black- and whitelisting (spec "Subscriber Black- and Whitelisting"): a subscriber
/// receives the event only if it is in every `eligible*` list present and in no `exclude*` list.
/// Public for the cluster, which carries a publication's lists to the other nodes.
public struct PublicationFilter: Sendable {
    public var exclude: Set<WampID>?
    public var excludeAuthid: Set<String>?
    public var excludeAuthrole: Set<String>?
    public var eligible: Set<WampID>?
    public var eligibleAuthid: Set<String>?
    public var eligibleAuthrole: Set<String>?

    /// `nil` when none of the six lists is given (a relayed publication's).
    public init?(exclude: Set<WampID>? = nil, excludeAuthid: Set<String>? = nil, excludeAuthrole: Set<String>? = nil,
                 eligible: Set<WampID>? = nil, eligibleAuthid: Set<String>? = nil, eligibleAuthrole: Set<String>? = nil) {
        if exclude == nil, eligible == nil, excludeAuthid == nil, excludeAuthrole == nil,
           eligibleAuthid == nil, eligibleAuthrole == nil {
            return nil
        }
        self.exclude = exclude
        self.excludeAuthid = excludeAuthid
        self.excludeAuthrole = excludeAuthrole
        self.eligible = eligible
        self.eligibleAuthid = eligibleAuthid
        self.eligibleAuthrole = eligibleAuthrole
    }

    /// `nil` when the options carry none of the six lists.
    init?(parsing options: JSONValue) throws(PublicationOptions.Invalid) {
        self.init(exclude: try Self.ids(options, "exclude"), excludeAuthid: try Self.strings(options, "exclude_authid"),
                  excludeAuthrole: try Self.strings(options, "exclude_authrole"), eligible: try Self.ids(options, "eligible"),
                  eligibleAuthid: try Self.strings(options, "eligible_authid"),
                  eligibleAuthrole: try Self.strings(options, "eligible_authrole"))
    }

    public func admits(_ session: RealmSession) -> Bool {
        if let eligible, !eligible.contains(session.id) { return false }
        if let eligibleAuthid, !eligibleAuthid.contains(session.authid) { return false }
        if let eligibleAuthrole, !eligibleAuthrole.contains(session.authrole) { return false }
        if let exclude, exclude.contains(session.id) { return false }
        if let excludeAuthid, excludeAuthid.contains(session.authid) { return false }
        if let excludeAuthrole, excludeAuthrole.contains(session.authrole) { return false }
        return true
    }

    /// Lists by session ID: such events are kept out of the event history (spec "Event History",
    /// "Security Aspects"), since session IDs mean nothing to a later session.
    var usesSessionIDs: Bool { exclude != nil || eligible != nil }

    private static func ids(_ options: JSONValue, _ key: String) throws(PublicationFilter.Invalid) -> Set<WampID>? {
        guard let value = options.value(key) else { return nil }
        guard let elements = value.arrayElements else { throw Invalid(message: "option '\(key)' must be a list of session IDs") }
        var result = Set<WampID>()
        for element in elements {
            guard let id = element.integerValue, WampIDRange.contains(id) else {
                throw Invalid(message: "option '\(key)' must be a list of session IDs (integers in 1...2^53)")
            }
            result.insert(WampID(id))
        }
        return result
    }

    private static func strings(_ options: JSONValue, _ key: String) throws(PublicationFilter.Invalid) -> Set<String>? {
        guard let value = options.value(key) else { return nil }
        guard let elements = value.arrayElements else { throw Invalid(message: "option '\(key)' must be a list of strings") }
        var result = Set<String>()
        for element in elements {
            guard let string = element.stringValue else { throw Invalid(message: "option '\(key)' must be a list of strings") }
            result.insert(string)
        }
        return result
    }

    typealias Invalid = PublicationOptions.Invalid
}

/// The EVENT.Details keys a publication adds (publisher identification, payload passthru), kept as
/// Swift values so retained and historical events can be rebuilt with `retained` / `topic`.
struct EventDetails: Sendable {
    var publisher: WampID?
    var publisherAuthid: String?
    var publisherAuthrole: String?
    var passthru: [(key: String, value: String)] = []

    var isEmpty: Bool { publisher == nil && passthru.isEmpty }

    /// A new Details object; `topic` for pattern subscriptions, `retained` for retained events.
    func make(topic: String? = nil, retained: Bool = false) -> JSONValue {
        if isEmpty && topic == nil && !retained { return Broker.emptyDetails }
        let details = JSONValue.makeObject()
        if let publisher {
            details.set("publisher", integer: Int64(publisher))
            if let publisherAuthid { details.set("publisher_authid", string: publisherAuthid) }
            if let publisherAuthrole { details.set("publisher_authrole", string: publisherAuthrole) }
        }
        for (key, value) in passthru { details.set(key, string: value) }
        if let topic { details.set("topic", string: topic) }
        if retained { details.set("retained", bool: true) }
        return details
    }
}
