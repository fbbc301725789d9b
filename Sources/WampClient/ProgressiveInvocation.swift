import Synchronization
import WampMessages

extension WampClient {
    /// One call whose input the caller streams (spec "Progressive Call Invocations"): every
    /// `send` is a CALL chunk with `progress: true` under the same request ID, and `finish`
    /// sends the last chunk and waits for the RESULT. The callee reads the chunks from
    /// `InvocationContext.chunks`. Good for uploads and for input that is produced over time.
    public final class ProgressiveInvocation: Sendable {
        private let client: WampClient
        private let request: WampID
        private let procedure: String
        private let options: JSONValue
        private let cancelMode: CancelMode
        private let results: AsyncThrowingStream<Result, any Error>
        private let started: ProgressiveInvocationStart

        init(client: WampClient, procedure: String, options: JSONValue, cancelMode: CancelMode) {
            self.client = client
            self.request = client.state.nextRequestID()
            self.procedure = procedure
            self.options = options
            self.cancelMode = cancelMode
            let (stream, continuation) = AsyncThrowingStream.makeStream(of: Result.self)
            self.results = stream
            self.started = ProgressiveInvocationStart(continuation)
        }

        /// Sends one chunk. Throws when the call has already ended (the router's ERROR, say
        /// `wamp.error.no_such_procedure`, is then thrown by `finish`) or the connection is gone.
        public func send(_ payload: Payload) throws {
            try sendChunk(payload, progress: true)
        }

        /// `send` with JSON arguments.
        public func send(arguments: RawJSON? = nil, argumentsKw: RawJSON? = nil) throws {
            try send(Payload(arguments: arguments, argumentsKw: argumentsKw))
        }

        /// Sends the last chunk and returns the call's RESULT. Cancelling the awaiting task
        /// sends CANCEL with the call's mode and throws `CancellationError`.
        public func finish(_ payload: Payload = .empty) async throws -> Result {
            do {
                try sendChunk(payload, progress: false)
            } catch WampClientError.connectionClosed {
                // The call already ended: its stream holds why (the router's ERROR, the loss).
            }
            let state = client.state
            let request = request
            return try await withTaskCancellationHandler {
                var final: Result?
                for try await result in results where !result.isProgress { final = result }
                guard let final else { throw CancellationError() }
                return final
            } onCancel: {
                state.cancel(request)
            }
        }

        private func sendChunk(_ payload: Payload, progress: Bool) throws {
            let callOptions = options.removing("progress")
            callOptions.set("progress", bool: progress)
            let message = WampMessage.call(Call(request: request, options: callOptions, procedure: procedure, payload: payload))
            if let continuation = started.take() {
                client.state.start(request, message, waiter: .stream(continuation), cancelMode: cancelMode)
                return
            }
            // Later chunks only while the call is alive on this session: after an ERROR or a
            // reconnect the router would take a chunk for a new call.
            guard client.state.storage.withLock({ $0.pending[request] != nil }) else {
                throw WampClientError.connectionClosed
            }
            try client.state.send(message)
        }
    }

    /// Starts a call whose arguments are sent in chunks; see `ProgressiveInvocation`. The
    /// callee must support progressive call invocations (this client's callees do).
    public func callWithProgressiveInvocation(_ procedure: String, options: JSONValue = .emptyObject,
                                              cancelMode: CancelMode = .kill) -> ProgressiveInvocation {
        ProgressiveInvocation(client: self, procedure: procedure, options: options, cancelMode: cancelMode)
    }
}

/// The results stream's continuation until the first chunk registers it, handed out once.
final class ProgressiveInvocationStart: Sendable {
    private let continuation: Mutex<AsyncThrowingStream<Result, any Error>.Continuation?>

    init(_ continuation: AsyncThrowingStream<Result, any Error>.Continuation) {
        self.continuation = Mutex(continuation)
    }

    func take() -> AsyncThrowingStream<Result, any Error>.Continuation? {
        continuation.withLock { value in
            defer { value = nil }
            return value
        }
    }
}
