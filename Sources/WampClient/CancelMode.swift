extension WampClient {
    /// What the router does to the callee when a caller cancels a call (spec "Call Canceling",
    /// `CANCEL.Options.mode`). The Swift task that was cancelled never waits for the callee:
    /// it throws `CancellationError` as soon as CANCEL is sent; the mode decides how much work
    /// the callee is asked to abandon.
    public enum CancelMode: String, Sendable {
        /// The router answers the call at once and tells the callee nothing: for idempotent
        /// work that may as well finish.
        case skip
        /// The router interrupts the callee and waits for its answer before freeing the call:
        /// the callee gets to clean up, and the router's pending-call bound is honest.
        case kill
        /// The router interrupts the callee and frees the call at once, discarding whatever the
        /// callee answers later.
        case killnowait
    }
}
