import Realm
import WampAuth
import WampMessages

/// `WampAuth.AuthenticationFlow` as the session machine drives it: a HELLO whose auth details
/// are malformed is refused before any method runs, and an input the flow is not waiting for is
/// answered here (AUTHENTICATE out of state is the machine's protocol violation).
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

    mutating func start() -> AuthenticationAction {
        guard flow != nil else {
            let why = "HELLO.Details: authmethods must be a list of strings, authid and authrole strings, authextra an object"
            return .abort(reason: ErrorURI.protocolViolation, message: why, logDetail: why)
        }
        return flow!.start()
    }

    mutating func authenticate(_ message: Authenticate) -> AuthenticationAction? {
        guard flow?.isAwaitingAuthenticate == true else { return nil }
        return flow!.authenticate(signature: message.signature, extra: message.extra)
    }

    mutating func authenticatorReturned(_ result: Swift.Result<JSONValue, AuthenticatorFailure>) -> AuthenticationAction {
        guard flow?.isAwaitingAuthenticator == true else {
            let why = "no authenticator call outstanding"
            return .abort(reason: ErrorURI.protocolViolation, message: why, logDetail: why)
        }
        return flow!.authenticatorReturned(result)
    }
}
