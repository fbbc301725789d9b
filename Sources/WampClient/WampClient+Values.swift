import WampMessages

/// The `WampValue` face of the API: arguments written straight in the client's serialization
/// (no JSON text to build, no conversion on the way out), read back with
/// `Payload.argumentValues()` / `keywordValues()`.
extension WampClient {
    /// `call` with arguments as values: `try await client.call("com.example.add", values: [2, 3])`.
    public func call(_ procedure: String, values: [WampValue], keywords: [String: WampValue] = [:],
                     options: JSONValue = .emptyObject, cancelMode: CancelMode = .kill) async throws -> Result {
        try await call(procedure, payload: try payload(values, keywords), options: options, cancelMode: cancelMode)
    }

    /// `callProgressive` with arguments as values; a value the serializer cannot write ends
    /// the sequence with `WampClientError.unencodable`.
    public func callProgressive(_ procedure: String, values: [WampValue], keywords: [String: WampValue] = [:],
                                options: JSONValue = .emptyObject, cancelMode: CancelMode = .kill) -> ProgressiveResults {
        do {
            return callProgressive(procedure, payload: try payload(values, keywords), options: options, cancelMode: cancelMode)
        } catch {
            return ProgressiveResults(stream: AsyncThrowingStream { $0.finish(throwing: error) })
        }
    }

    /// `publish` with arguments as values.
    @discardableResult
    public func publish(_ topic: String, values: [WampValue], keywords: [String: WampValue] = [:],
                        acknowledge: Bool = false, excludeMe: Bool? = nil) async throws -> WampID? {
        try await publish(topic, payload: try payload(values, keywords), acknowledge: acknowledge, excludeMe: excludeMe)
    }

    func payload(_ values: [WampValue], _ keywords: [String: WampValue]) throws(WampClientError) -> Payload {
        do {
            return try Payload(values: values, keywords: keywords, serialization: serialization)
        } catch {
            throw WampClientError.unencodable(error.description)
        }
    }
}

extension WampClient.InvocationContext {
    /// `sendProgress` with arguments as values.
    public func sendProgress(values: [WampValue], keywords: [String: WampValue] = [:]) throws {
        guard callerWantsProgress else { return }
        do {
            try sendProgress(Payload(values: values, keywords: keywords, serialization: serialization))
        } catch let error as PayloadConversionError {
            throw WampClientError.unencodable(error.description)
        }
    }
}
