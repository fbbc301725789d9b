import NIOCore
import Synchronization
import WampAuth

/// The router-wide record of failed authentications per peer address (`AuthFailureThrottle`,
/// behind a lock): each failure beyond the free ones delays that address's next ABORT longer,
/// so guessing secrets over many connections gets slow. Touched once per authentication, never
/// per routed message.
final class AuthenticationFailures: Sendable {
    private let throttle: Mutex<AuthFailureThrottle>

    init(policy: AuthFailureThrottle.Policy = AuthFailureThrottle.Policy()) {
        throttle = Mutex(AuthFailureThrottle(policy: policy))
    }

    /// Records a failure and returns how long to hold the ABORT back.
    func failed(address: String) -> TimeAmount {
        RouterConfiguration.timeAmount(throttle.withLock { $0.recordFailure(from: address, at: .now) })
    }

    func succeeded(address: String) {
        throttle.withLock { $0.recordSuccess(from: address) }
    }
}
