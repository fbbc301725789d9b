import WampMessages

/// A dynamic authenticator's answer, read the way Crossbar reads it (`_assign_principal`): a
/// string is the role; a dict may carry `realm`, `authid`, `role` and `extra`, and per method
/// `secret`/`salt`/`iterations`/`keylen` (wampcra) or `pubkey` (cryptosign).
struct AuthenticatorAnswer {
    var realm: String?
    var authid: String?
    var role: String?
    var extra: JSONValue?
    var secret: String?
    var salting: WampCRA.Salting?
    var pubkey: String?

    /// Why an answer could not be read; the flow aborts `wamp.error.authentication_failed`.
    struct Malformed: Error {
        var reason: String
    }

    static func read(_ value: JSONValue) -> Swift.Result<AuthenticatorAnswer, Malformed> {
        if let role = value.stringValue {
            return .success(AuthenticatorAnswer(role: role))
        }
        guard value.isObject else {
            return .failure(Malformed(reason: "the authenticator's answer is neither a role nor a dict"))
        }
        var answer = AuthenticatorAnswer()
        do {
            answer.realm = try optionalString(value, "realm")
            answer.authid = try optionalString(value, "authid")
            answer.role = try optionalString(value, "role")
            answer.secret = try optionalString(value, "secret")
            answer.pubkey = try optionalString(value, "pubkey")
            if let salt = try optionalString(value, "salt") {
                let iterations = try optionalInteger(value, "iterations") ?? 1000
                let keylen = try optionalInteger(value, "keylen") ?? 32
                answer.salting = WampCRA.Salting(salt: salt, iterations: iterations, keylen: keylen)
            }
        } catch {
            return .failure(error)
        }
        if let extra = value.value("extra"), !extra.isNull { answer.extra = extra }
        return .success(answer)
    }

    private static func optionalString(_ object: JSONValue, _ key: String) throws(Malformed) -> String? {
        guard let member = object.value(key), !member.isNull else { return nil }
        guard let text = member.stringValue else {
            throw Malformed(reason: "the authenticator's answer has a '\(key)' that is not a string")
        }
        return text
    }

    private static func optionalInteger(_ object: JSONValue, _ key: String) throws(Malformed) -> Int? {
        guard let member = object.value(key), !member.isNull else { return nil }
        guard let number = member.integerValue else {
            throw Malformed(reason: "the authenticator's answer has a '\(key)' that is not an integer")
        }
        return Int(number)
    }
}
