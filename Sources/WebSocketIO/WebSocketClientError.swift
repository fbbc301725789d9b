/// Why `WebSocketClient.connect` failed.
public enum WebSocketClientError: Error, Equatable, Sendable {
    /// The server answered the upgrade request with a non-101 response.
    case upgradeRefused(status: Int, body: String)
    /// We offered subprotocols and the server selected none of them.
    case noSubprotocolSelected(offered: [String])
    /// The server selected a subprotocol we did not offer.
    case unexpectedSubprotocol(String)
    /// The server's `Sec-WebSocket-Extensions` answer is not acceptable.
    case invalidExtensionResponse(String)
    /// The connection closed before the upgrade completed.
    case connectionClosed
}
