/// Which callee of a shared registration gets a call (spec "Shared Registration").
public enum InvokePolicy: String, Sendable, Hashable {
    case single, roundrobin, random, first, last

    /// Reads `REGISTER.Options.invoke`; `nil` for a value the spec does not define.
    public init?(option: String?) {
        guard let option else { self = .single; return }
        self.init(rawValue: option)
    }
}
