import WampMessages

extension WampClient {
    /// What a callee's handler gets besides the INVOCATION: a way to send progressive results,
    /// and the later chunks of a progressive call invocation.
    ///
    /// Progressive results (spec "Progressive Call Results") let a long call report as it goes
    /// instead of holding everything until the end; progressive invocations ("Progressive Call
    /// Invocations") let a caller stream its input into one call.
    public struct InvocationContext: Sendable {
        /// True when the caller asked for progressive results (`receive_progress`), so
        /// `sendProgress` reaches it.
        public let callerWantsProgress: Bool
        /// True when this call is a progressive invocation: more chunks follow in `chunks`.
        public let isProgressiveInvocation: Bool
        /// The caller's later chunks of a progressive invocation, the last one (without
        /// `progress`) ending the sequence; empty for an ordinary call. The handler's first
        /// argument is the first chunk.
        public let chunks: AsyncThrowingStream<Invocation, any Error>
        /// The client's serializer, which progressive values are written in.
        let serialization: WampSerialization
        let progressSender: @Sendable (Payload) throws -> Void

        /// Sends one progressive result (YIELD with `progress: true`) ahead of the handler's
        /// final return value. Does nothing when the caller did not ask for progress, so one
        /// handler serves both kinds of caller. Throws when the connection is gone or the
        /// payload cannot be written in the client's serialization.
        public func sendProgress(_ payload: Payload) throws {
            guard callerWantsProgress else { return }
            try progressSender(payload)
        }

        /// `sendProgress` with JSON arguments.
        public func sendProgress(arguments: RawJSON? = nil, argumentsKw: RawJSON? = nil) throws {
            try sendProgress(Payload(arguments: arguments, argumentsKw: argumentsKw))
        }
    }
}
