import WampMessages

/// A dynamic authorizer's answer read as Crossbar reads it: `true` / `false` (not cacheable), or
/// `{"allow": Bool, "disclose": Bool, "cache": Bool}` with `allow` required and no other keys
/// (Crossbar also accepts `validate`, payload validation, which this router does not do: a
/// non-null `validate` is refused rather than ignored). Anything else, and any failed call, is
/// a failure, which denies with `wamp.error.authorization_failed`.
enum AuthorizerAnswer: Equatable {
    enum Failure: Equatable {
        case call(InternalCallFailure)
        case malformed(String)
    }

    case decision(allow: Bool, disclose: Bool, cache: Bool)
    case failed(Failure)

    init(_ result: Swift.Result<InternalCallResult, InternalCallFailure>) {
        switch result {
        case .failure(let failure):
            self = .failed(.call(failure))
        case .success(let answer):
            self = Self.read(answer.firstArgument)
        }
    }

    private static let knownKeys: Set<String> = ["allow", "disclose", "cache", "validate"]

    private static func read(_ value: JSONValue?) -> AuthorizerAnswer {
        guard let value else { return .failed(.malformed("nothing (expected a boolean or {\"allow\": ...})")) }
        if let allow = value.boolValue { return .decision(allow: allow, disclose: false, cache: false) }
        guard value.isObject else { return .failed(.malformed("neither a boolean nor an object: \(value.jsonText.prefix(200))")) }
        if let unknown = value.keys.first(where: { !knownKeys.contains($0) }) {
            return .failed(.malformed("an unknown key '\(unknown.prefix(100))'"))
        }
        guard let allow = value.bool("allow") else { return .failed(.malformed("no boolean 'allow'")) }
        for key in ["disclose", "cache"] where value.contains(key) && value.bool(key) == nil {
            return .failed(.malformed("a '\(key)' that is not a boolean"))
        }
        if let validate = value.value("validate"), !validate.isNull {
            return .failed(.malformed("a 'validate' stanza; payload validation is not supported by this router"))
        }
        return .decision(allow: allow, disclose: value.bool("disclose") ?? false, cache: value.bool("cache") ?? false)
    }
}
