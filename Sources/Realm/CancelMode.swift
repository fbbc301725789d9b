/// `CANCEL.Options.mode` (spec "Call Canceling").
public enum CancelMode: String, Sendable {
    /// ERROR to the caller at once; no INTERRUPT; the callee's answer is discarded.
    case skip
    /// INTERRUPT to the callee; the caller gets the callee's answer, whatever it is.
    case kill
    /// ERROR to the caller at once and INTERRUPT to the callee; its answer is discarded.
    case killnowait
}
