import Realm
import WampAuth
import WampMessages

/// `WampAuth.AuthenticationFlow` as the session machine drives it: its actions become the
/// machine's steps, and a HELLO whose auth details are malformed is refused before any method
/// runs.
struct AuthenticationFlowStep: SessionAuthentication {
    private var flow: AuthenticationFlow?

    init(configuration: TransportAuthConfiguration, hello: Hello, sessionID: WampID, transport: AuthTransportInfo,
         realms: RealmRegistry) {
        guard let authHello = AuthHello(hello) else { return }
        flow = AuthenticationFlow(configuration: configuration, hello: authHello, session: sessionID, transport: transport) {
            realmName, role in
            guard let realm = realms.realm(named: realmName) else { return .noSuchRealm }
            return realm.hasRole(role) ? .allowed : .noSuchRole
        }
    }

    mutating func start() -> AuthenticationStep {
        guard flow != nil else {
            return .refuse(reason: ErrorURI.protocolViolation,
                           message: "HELLO.Details: authmethods must be a list of strings, authid and authrole strings, authextra an object",
                           failedCredentials: false)
        }
        return Self.step(flow!.start())
    }

    mutating func authenticate(_ message: Authenticate) -> AuthenticationStep? {
        guard flow?.isAwaitingAuthenticate == true else { return nil }
        return Self.step(flow!.authenticate(signature: message.signature, extra: message.extra))
    }

    mutating func authenticatorReturned(_ result: Swift.Result<JSONValue, AuthenticatorCallFailure>) -> AuthenticationStep {
        guard flow?.isAwaitingAuthenticator == true else {
            return .refuse(reason: ErrorURI.protocolViolation, message: "no authenticator call outstanding", failedCredentials: false)
        }
        let answer: Swift.Result<JSONValue, AuthenticatorFailure>
        switch result {
        case .success(let value): answer = .success(value)
        case .failure(.error(let uri, let message)): answer = .failure(.error(uri: uri, message: message))
        case .failure(.timeout): answer = .failure(.timeout)
        case .failure(.noSuchProcedure): answer = .failure(.noSuchProcedure)
        }
        return Self.step(flow!.authenticatorReturned(answer))
    }

    private static func step(_ action: AuthenticationAction) -> AuthenticationStep {
        switch action {
        case .welcome(let identity):
            return .welcome(AuthenticatedIdentity(realm: identity.realm, authid: identity.authid, authrole: identity.authrole,
                                                  authmethod: identity.authmethod.rawValue, authprovider: identity.authprovider,
                                                  authextra: identity.authextra))
        case .challenge(let method, let extra):
            return .challenge(method: method.rawValue, extra: extra)
        case .invokeAuthenticator(let authenticator, let arguments):
            return .callAuthenticator(authenticator, arguments: arguments)
        case .abort(let reason, let message, let logDetail):
            return .refuse(reason: reason, message: message, failedCredentials: reason == AuthErrorURI.notAuthorized,
                           logDetail: logDetail)
        }
    }
}
