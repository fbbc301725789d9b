import WampMessages

extension WampClient {
    /// The RESULTs of one call made with `receive_progress` (spec "Progressive Call Results"),
    /// as they arrive: every progressive RESULT, then the final one (its `isProgress` false),
    /// after which the sequence ends. An ERROR ends it by throwing `WampClientError.error`.
    ///
    /// Cancelling the task that iterates, or dropping the iterator before the end (`break`
    /// out of the loop), sends CANCEL with the call's mode; the iteration then throws
    /// `CancellationError`. WAMP has no flow control, so results that arrive faster than they
    /// are read are buffered, all of them: read promptly, or cancel.
    public struct ProgressiveResults: AsyncSequence, Sendable {
        public typealias Element = Result
        let stream: AsyncThrowingStream<Result, any Error>

        public func makeAsyncIterator() -> Iterator {
            Iterator(base: stream.makeAsyncIterator())
        }

        public struct Iterator: AsyncIteratorProtocol {
            var base: AsyncThrowingStream<Result, any Error>.AsyncIterator
            var sawFinal = false

            public mutating func next() async throws -> Result? {
                guard !sawFinal else { return nil }
                guard let result = try await base.next() else {
                    // The stream ends without a final RESULT only when its task was cancelled.
                    throw CancellationError()
                }
                if !result.isProgress { sawFinal = true }
                return result
            }
        }
    }

    /// Calls `procedure` asking for progressive results; see `ProgressiveResults`. The CALL
    /// goes out at once; a callee that does not stream just produces one final result.
    public func callProgressive(_ procedure: String, arguments: RawJSON? = nil, argumentsKw: RawJSON? = nil,
                                options: JSONValue = .emptyObject, cancelMode: CancelMode = .kill) -> ProgressiveResults {
        callProgressive(procedure, payload: Payload(arguments: arguments, argumentsKw: argumentsKw),
                        options: options, cancelMode: cancelMode)
    }

    /// `callProgressive` with a ready payload.
    public func callProgressive(_ procedure: String, payload: Payload, options: JSONValue = .emptyObject,
                                cancelMode: CancelMode = .kill) -> ProgressiveResults {
        let callOptions = options.removing("receive_progress")
        callOptions.set("receive_progress", bool: true)
        let id = state.nextRequestID()
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: Result.self)
        continuation.onTermination = { [state] termination in
            if case .cancelled = termination { state.cancel(id) }
        }
        state.start(id, .call(Call(request: id, options: callOptions, procedure: procedure, payload: payload)),
                    waiter: .stream(continuation), cancelMode: cancelMode)
        return ProgressiveResults(stream: stream)
    }
}

extension Result {
    /// True for a progressive RESULT (`Details.progress`), more of which (and a final one) follow.
    public var isProgress: Bool { details.count > 0 && details.bool("progress") == true }
}
