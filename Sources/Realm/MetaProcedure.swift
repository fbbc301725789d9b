/// The router's own procedures in every realm (spec "Meta API").
enum MetaProcedure: String {
    case sessionCount = "wamp.session.count"
    case sessionList = "wamp.session.list"
    case sessionGet = "wamp.session.get"
    case sessionKill = "wamp.session.kill"
    case sessionKillByAuthid = "wamp.session.kill_by_authid"
    case sessionKillByAuthrole = "wamp.session.kill_by_authrole"
    case sessionKillAll = "wamp.session.kill_all"
    case addTestament = "wamp.session.add_testament"
    case flushTestaments = "wamp.session.flush_testaments"
    case registrationList = "wamp.registration.list"
    case registrationLookup = "wamp.registration.lookup"
    case registrationMatch = "wamp.registration.match"
    case registrationGet = "wamp.registration.get"
    case registrationListCallees = "wamp.registration.list_callees"
    case registrationCountCallees = "wamp.registration.count_callees"
    case registrationRemoveCallee = "wamp.registration.remove_callee"
}
