/// The first element of every WAMP message array.
public enum MessageCode: Int64, Sendable, CaseIterable {
    case hello = 1
    case welcome = 2
    case abort = 3
    case challenge = 4
    case authenticate = 5
    case goodbye = 6
    case error = 8
    case publish = 16
    case published = 17
    case subscribe = 32
    case subscribed = 33
    case unsubscribe = 34
    case unsubscribed = 35
    case event = 36
    case call = 48
    case cancel = 49
    case result = 50
    case register = 64
    case registered = 65
    case unregister = 66
    case unregistered = 67
    case invocation = 68
    case interrupt = 69
    case yield = 70

    public var name: String {
        switch self {
        case .hello: "HELLO"
        case .welcome: "WELCOME"
        case .abort: "ABORT"
        case .challenge: "CHALLENGE"
        case .authenticate: "AUTHENTICATE"
        case .goodbye: "GOODBYE"
        case .error: "ERROR"
        case .publish: "PUBLISH"
        case .published: "PUBLISHED"
        case .subscribe: "SUBSCRIBE"
        case .subscribed: "SUBSCRIBED"
        case .unsubscribe: "UNSUBSCRIBE"
        case .unsubscribed: "UNSUBSCRIBED"
        case .event: "EVENT"
        case .call: "CALL"
        case .cancel: "CANCEL"
        case .result: "RESULT"
        case .register: "REGISTER"
        case .registered: "REGISTERED"
        case .unregister: "UNREGISTER"
        case .unregistered: "UNREGISTERED"
        case .invocation: "INVOCATION"
        case .interrupt: "INTERRUPT"
        case .yield: "YIELD"
        }
    }
}
