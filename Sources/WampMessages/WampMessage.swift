/// One WAMP v2 message, typed by its code.
public enum WampMessage: Sendable {
    case hello(Hello)
    case welcome(Welcome)
    case abort(Abort)
    case challenge(Challenge)
    case authenticate(Authenticate)
    case goodbye(Goodbye)
    case error(ErrorMessage)
    case publish(Publish)
    case published(Published)
    case subscribe(Subscribe)
    case subscribed(Subscribed)
    case unsubscribe(Unsubscribe)
    case unsubscribed(Unsubscribed)
    case event(Event)
    case call(Call)
    case cancel(Cancel)
    case result(Result)
    case register(Register)
    case registered(Registered)
    case unregister(Unregister)
    case unregistered(Unregistered)
    case invocation(Invocation)
    case interrupt(Interrupt)
    case yield(Yield)

    public var code: MessageCode {
        switch self {
        case .hello: .hello
        case .welcome: .welcome
        case .abort: .abort
        case .challenge: .challenge
        case .authenticate: .authenticate
        case .goodbye: .goodbye
        case .error: .error
        case .publish: .publish
        case .published: .published
        case .subscribe: .subscribe
        case .subscribed: .subscribed
        case .unsubscribe: .unsubscribe
        case .unsubscribed: .unsubscribed
        case .event: .event
        case .call: .call
        case .cancel: .cancel
        case .result: .result
        case .register: .register
        case .registered: .registered
        case .unregister: .unregister
        case .unregistered: .unregistered
        case .invocation: .invocation
        case .interrupt: .interrupt
        case .yield: .yield
        }
    }
}
