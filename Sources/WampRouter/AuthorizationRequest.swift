import Realm
import WampMessages

/// What the realm's authorization is asked about one message: REGISTER, CALL, SUBSCRIBE and
/// PUBLISH name a URI (a pattern as given, for pattern-based ones) and an action; nothing else
/// is checked (UNREGISTER and UNSUBSCRIBE only undo what was allowed).
struct AuthorizationRequest {
    let action: WampAction
    let uri: String
    let options: JSONValue
    let id: WampID
    /// The request type of the ERROR a denial is answered with; nil for an unacknowledged
    /// PUBLISH, which gets no answer.
    let errorRequestType: MessageCode?

    init?(_ message: WampMessage) {
        switch message {
        case .call(let call):
            self.init(.call, call.procedure, call.options, call.request, .call)
        case .register(let register):
            self.init(.register, register.procedure, register.options, register.request, .register)
        case .subscribe(let subscribe):
            self.init(.subscribe, subscribe.topic, subscribe.options, subscribe.request, .subscribe)
        case .publish(let publish):
            let acknowledged = publish.options.count > 0 && publish.options.bool("acknowledge") == true
            self.init(.publish, publish.topic, publish.options, publish.request, acknowledged ? .publish : nil)
        default:
            return nil
        }
    }

    private init(_ action: WampAction, _ uri: String, _ options: JSONValue, _ id: WampID, _ errorRequestType: MessageCode?) {
        self.action = action
        self.uri = uri
        self.options = options
        self.id = id
        self.errorRequestType = errorRequestType
    }
}
