import Synchronization
import WampMessages

/// What a procedure the router called answered: RESULT's arguments, parsed (the router reads
/// them: an authorizer's decision, an authenticator's role).
public struct InternalCallResult: Sendable {
    /// RESULT.Arguments (a JSON array), or `nil` when the callee sent none.
    public let arguments: JSONValue?
    /// RESULT.ArgumentsKw (a JSON object), or `nil`.
    public let kwargs: JSONValue?

    /// The first positional result, the one Autobahn returns from `call` when there is only one.
    public var firstArgument: JSONValue? { arguments?.element(0) }
}

/// Why a procedure the router called gave no result.
public enum InternalCallFailure: Error, Sendable, Equatable {
    /// Nobody registered the procedure.
    case noSuchProcedure
    /// The callee (or the dealer) answered ERROR: its URI and a readable message (the first
    /// positional argument if it is a string, else Details.message).
    case error(uri: String, message: String?)
    /// No answer within the timeout; the call was canceled at the dealer.
    case timeout
}

/// The router as a caller in its own realm (dynamic authorizers, dynamic authenticators).
///
/// It is the `Peer` of a `RealmSession` that never joins: not in the session table, never in the
/// meta API, never disclosed to a callee, and not subject to authorization (the router is
/// trusted). The dealer routes its CALLs like anyone's and sends it RESULT or ERROR, which it
/// decodes and hands to the completion of that request. Each completion runs once: answer,
/// timeout or failure, whichever comes first; never under a routing lock (the dealer sends
/// after releasing its lock, and this peer's own lock is released before the completion runs).
final class InternalCaller: Peer {
    typealias Completion = @Sendable (Swift.Result<InternalCallResult, InternalCallFailure>) -> Void

    private struct Pending {
        let completion: Completion
        var timeout: (any ScheduledWork)?
    }

    private struct State {
        var nextRequest: WampID = 1
        var pending: [WampID: Pending] = [:]
    }

    private let state = Mutex(State())
    /// Bound on the answer bytes parsed into a tree (`RealmLimits.maxParsedArgumentsBytes`).
    private let maxResultBytes: Int

    init(maxResultBytes: Int) {
        self.maxResultBytes = maxResultBytes
    }

    var pendingCount: Int { state.withLock { $0.pending.count } }

    /// Records a call about to be made and returns its request ID.
    func begin(_ completion: @escaping Completion) -> WampID {
        state.withLock { state in
            let request = state.nextRequest
            state.nextRequest = request >= WampIDRange.max ? 1 : request + 1
            state.pending[request] = Pending(completion: completion)
            return request
        }
    }

    /// Attaches the timer of a call; cancels it at once if the call has already finished.
    func attach(_ timeout: any ScheduledWork, to request: WampID) {
        let stored = state.withLock { state -> Bool in
            guard state.pending[request] != nil else { return false }
            state.pending[request]!.timeout = timeout
            return true
        }
        if !stored { timeout.cancel() }
    }

    /// Settles `request` with `outcome` if it is still pending; returns whether it was.
    @discardableResult
    func finish(_ request: WampID, _ outcome: Swift.Result<InternalCallResult, InternalCallFailure>) -> Bool {
        guard let pending = state.withLock({ $0.pending.removeValue(forKey: request) }) else { return false }
        pending.timeout?.cancel()
        pending.completion(outcome)
        return true
    }

    // MARK: Peer

    func send(_ message: EncodedMessage) {
        guard let decoded = try? MessageDecoder.decode(message.bytes) else { return }
        switch decoded {
        case .result(let result):
            finish(result.request, answer(result.payload))
        case .error(let error) where error.requestType == .call:
            if error.error == ErrorURI.noSuchProcedure {
                finish(error.request, .failure(.noSuchProcedure))
            } else {
                let message = error.payload.arguments?.parsed()?.element(0)?.stringValue ?? error.details.string("message")
                finish(error.request, .failure(.error(uri: error.error, message: message)))
            }
        default:
            // The dealer sends a caller nothing else; no subscription, no registration exists.
            break
        }
    }

    /// Never killed: it holds no connection, and meta procedures cannot name it.
    func kill(reason: String, message: String?) {}

    private func answer(_ payload: Payload) -> Swift.Result<InternalCallResult, InternalCallFailure> {
        guard payload.byteCount <= maxResultBytes else {
            return .failure(.error(uri: ErrorURI.limitExceeded,
                                   message: "the answer takes \(payload.byteCount) bytes, more than \(maxResultBytes) (--max-options-bytes)"))
        }
        return .success(InternalCallResult(arguments: payload.arguments?.parsed(), kwargs: payload.argumentsKw?.parsed()))
    }
}
