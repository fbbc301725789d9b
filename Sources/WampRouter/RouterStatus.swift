/// The status page's snapshot (`/status.json`), as the page reads it. Foundation's encoder
/// writes it: this is the admin path, not the wire path.
struct RouterStatus: Encodable {
    struct Totals: Encodable {
        var sessions: Int
        var registrations: Int
        var subscriptions: Int
        var pending_calls: Int
    }

    struct RealmFigures: Encodable {
        var name: String
        var sessions: Int
        var registrations: Int
        var subscriptions: Int
        var pending_calls: Int
    }

    struct Session: Encodable {
        var id: UInt64
        var realm: String
        var authid: String
        var authrole: String
        var authmethod: String
        var transport: String
        var secure: Bool
        var serializer: String
        var age_seconds: Int
        var backlog_bytes: Int
        var messages_in: Int
    }

    struct RegistrationEntry: Encodable {
        var realm: String
        var id: UInt64
        var uri: String
        var match: String
        var invoke: String
        var callees: Int
    }

    struct SubscriptionEntry: Encodable {
        var realm: String
        var id: UInt64
        var uri: String
        var match: String
        var subscribers: Int
    }

    struct Rates: Encodable {
        var interval_seconds = 1
        var messages_in: [Int]
        /// nil until a sent-messages total is plugged in (`RouterStatusCollector.messagesSentTotal`).
        var messages_out: [Int]?
        var sessions: [Int]
        var errors: [Int]
    }

    var agent: String
    var phase: String
    var generated: String
    var uptime_seconds: Int
    var totals: Totals
    var realms: [RealmFigures]
    var sessions: [Session]
    var registrations: [RegistrationEntry]
    var subscriptions: [SubscriptionEntry]
    var rates: Rates
    var errors: [RecentErrors.Entry]
    var errors_total: Int
}
