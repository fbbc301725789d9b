import NIOCore
import WampMessages

/// One connection to the router, whatever carries it (a WebSocket today, RawSocket next): the
/// client state only sends whole encoded messages and asks for a close. Keeping the seam this
/// small is what lets reconnect swap the connection under a live `WampClient`, and a new
/// transport plug in without touching the session logic.
protocol ClientTransport: AnyObject, Sendable {
    /// Sends one encoded WAMP message (framed as the serialization requires).
    func send(_ bytes: ByteBuffer)
    /// Closes the connection; the sink's `transportClosed` follows once it is gone.
    func close()
    /// False once the connection is gone. Set before the sink hears `transportClosed`, so a
    /// joiner that installs the transport and then checks this cannot miss a close.
    var isOpen: Bool { get }
}

/// Where a transport delivers what it receives; called on the transport's event loop.
protocol ClientTransportSink: AnyObject, Sendable {
    func transport(_ transport: any ClientTransport, didReceive message: ByteBuffer)
    /// The bytes were not a message in the negotiated framing (e.g. a text frame on a binary
    /// serializer); the transport closes itself after this.
    func transport(_ transport: any ClientTransport, didReceiveMalformed reason: String)
    func transportClosed(_ transport: any ClientTransport)
}

/// How to open a new transport: kept by the client so that reconnect can dial again with
/// exactly the parameters of the first connection.
struct ClientTransportConnector: Sendable {
    /// Human-readable target for errors and logs (`ws://127.0.0.1:8080/`).
    let endpoint: String
    let open: @Sendable (_ serialization: WampSerialization, _ sink: any ClientTransportSink) async throws -> any ClientTransport
}
