import Logging
import Realm
import Synchronization
import WampMessages

/// What the realm answered one bridge request.
enum BridgeAnswer: Sendable {
    case published(publication: WampID)
    case result(Payload)
    case error(uri: String, payload: Payload, details: JSONValue)
    /// The bridge's own call timeout ran out first.
    case timedOut
    /// The router's shutdown drain ended before the realm answered.
    case shuttingDown
}

/// The bridge's session in its realm, as the realm sees it: a `Peer` that is sent PUBLISHED,
/// RESULT and ERROR for the requests the bridge made, and hands each to the HTTP request that
/// waits for it. Like the router's own internal caller it holds no connection; unlike it, its
/// session has the configured authrole, so authorization applies.
///
/// Each pending request's completion runs once (answer or timeout, whichever comes first),
/// outside this peer's lock; the realm sends after releasing its routing locks.
final class BridgePeer: Peer {
    typealias Completion = @Sendable (BridgeAnswer) -> Void

    private struct State {
        var nextRequest: WampID = 1
        var pending: [WampID: Completion] = [:]
    }

    private let state = Mutex(State())
    private let logger: Logger
    /// The largest answer the bridge takes (the router's `--max-message-size`); the dealer
    /// answers a larger result `wamp.error.payload_size_exceeded`.
    let maxMessageSize: Int

    init(maxMessageSize: Int, logger: Logger) {
        self.maxMessageSize = maxMessageSize
        self.logger = logger
    }

    var pendingCount: Int { state.withLock { $0.pending.count } }

    /// Records a request about to be made; returns its request ID.
    func begin(_ completion: @escaping Completion) -> WampID {
        state.withLock { state in
            let request = state.nextRequest
            state.nextRequest = request >= WampIDRange.max ? 1 : request + 1
            state.pending[request] = completion
            return request
        }
    }

    /// Settles `request` if it is still pending; returns whether it was.
    @discardableResult
    func finish(_ request: WampID, _ answer: BridgeAnswer) -> Bool {
        guard let completion = take(request) else { return false }
        completion(answer)
        return true
    }

    /// Takes `request` out of the pending ones without answering it (the timeout: it cancels the
    /// call first, so the dealer's ERROR for it finds nothing, then answers).
    func take(_ request: WampID) -> Completion? {
        state.withLock { $0.pending.removeValue(forKey: request) }
    }

    /// Takes every pending request out (the end of the shutdown drain); the caller answers them.
    func takeAll() -> [Completion] {
        state.withLock { state in
            let completions = Array(state.pending.values)
            state.pending.removeAll()
            return completions
        }
    }

    // MARK: Peer

    func send(_ message: EncodedMessage) {
        let decoded: WampMessage
        do {
            decoded = try MessageDecoder.decode(message.bytes)
        } catch {
            logger.warning("HTTP bridge could not read a message the realm sent it", metadata: ["error": "\(error)"])
            return
        }
        let settled: Bool
        switch decoded {
        case .published(let published):
            settled = finish(published.request, .published(publication: published.publication))
        case .result(let result):
            // Progressive results are never asked for (the bridge removes receive_progress).
            settled = finish(result.request, .result(result.payload))
        case .error(let error):
            settled = finish(error.request, .error(uri: error.error, payload: error.payload, details: error.details))
        default:
            settled = false
        }
        if !settled {
            // An answer after the bridge's timeout (the cancel's own ERROR among them).
            logger.debug("HTTP bridge session: message for no waiting request dropped", metadata: ["message": "\(decoded.code.name)"])
        }
    }

    /// The bridge session has no connection to end; it stays joined (it is the router's own)
    /// until the router shuts down (`HTTPBridgeService.close()`).
    func kill(reason: String, message: String?) {
        logger.notice("HTTP bridge session cannot be killed: it is part of the router", metadata: ["reason": "\(reason)"])
    }
}
