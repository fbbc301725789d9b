import NIOWebSocket

/// The connection and closing-handshake state of one WebSocket, as a pure value (RFC 6455
/// section 7). The NIO handler feeds it events and performs the returned actions; it never
/// decides anything about closing itself.
public struct WebSocketStateMachine: Sendable {
    public enum Role: Sendable { case server, client }

    public enum State: Sendable, Equatable {
        case open
        /// We sent a close frame and wait for the peer's.
        case closeSent
        /// Both close frames exchanged (or we gave up waiting); waiting for TCP to go.
        case closing
        case closed
    }

    /// What the handler must do next.
    public enum Action: Sendable, Equatable {
        case none
        /// Send a close frame with this code (nil: empty payload), then start the close timeout
        /// and wait for the peer's close frame.
        case sendCloseAndWait(code: WebSocketErrorCode?, reason: String)
        /// Send a close frame, then close the TCP connection once it is written.
        case sendCloseAndCloseChannel(code: WebSocketErrorCode?, reason: String)
        /// Try to send a close frame, then close the TCP connection at once without waiting for
        /// the write (backlog overflow: the peer is not reading).
        case sendCloseAndAbort(code: WebSocketErrorCode, reason: String)
        /// Close the TCP connection now.
        case closeChannel
        /// Wait for the peer to close TCP (client after the handshake), with the close timeout.
        case waitForChannelClose
    }

    public let role: Role
    public private(set) var state: State = .open
    /// The reason reported to the handler: the close frame that started the handshake (ours or
    /// the peer's); nil code when TCP went without a handshake.
    public private(set) var closeReason: WebSocketCloseReason? = nil
    private var reported = false

    public init(role: Role) {
        self.role = role
    }

    /// Data messages may be sent and delivered only while open.
    public var isOpen: Bool { self.state == .open }

    /// We start the closing handshake (API `close`, protocol failure, backlog overflow).
    public mutating func closeRequested(code: WebSocketErrorCode, reason: String) -> Action {
        switch self.state {
        case .open:
            self.state = .closeSent
            self.closeReason = WebSocketCloseReason(code: code, reason: reason, initiatedLocally: true)
            return .sendCloseAndWait(code: code, reason: reason)
        case .closeSent, .closing, .closed:
            return .none
        }
    }

    /// The outbound backlog overflowed: close with 1008 without waiting for anything.
    public mutating func backlogOverflowed(limit: Int) -> Action {
        let reason = "outbound backlog above \(limit) bytes"
        switch self.state {
        case .open, .closeSent:
            if self.closeReason == nil {
                self.closeReason = WebSocketCloseReason(code: .policyViolation, reason: reason, initiatedLocally: true)
            }
            let wasOpen = self.state == .open
            self.state = .closing
            return wasOpen ? .sendCloseAndAbort(code: .policyViolation, reason: reason) : .closeChannel
        case .closing, .closed:
            return .none
        }
    }

    /// We give up on a peer that does not answer (auto-ping timeout): TCP goes now, no close
    /// handshake, and the close is reported without a code (abnormal, 1006).
    public mutating func abandon(reason: String) -> Action {
        switch self.state {
        case .open, .closeSent, .closing:
            if self.closeReason == nil {
                self.closeReason = WebSocketCloseReason(code: nil, reason: reason, initiatedLocally: true)
            }
            self.state = .closing
            return .closeChannel
        case .closed:
            return .none
        }
    }

    /// The peer's close frame arrived with a valid payload.
    public mutating func receivedClose(code: WebSocketErrorCode?, reason: String) -> Action {
        switch self.state {
        case .open:
            self.closeReason = WebSocketCloseReason(code: code, reason: reason, initiatedLocally: false)
            self.state = .closing
            // Echo the peer's code (an empty close is answered with 1000).
            let echo = code ?? .normalClosure
            switch self.role {
            case .server:
                return .sendCloseAndCloseChannel(code: echo, reason: "")
            case .client:
                // RFC 6455 7.1.1: the server should close TCP first.
                return .sendCloseAndWait(code: echo, reason: "")
            }
        case .closeSent:
            self.state = .closing
            switch self.role {
            case .server: return .closeChannel
            case .client: return .waitForChannelClose
            }
        case .closing, .closed:
            return .none
        }
    }

    /// The peer's close frame was invalid (bad code, bad UTF-8 reason, one-byte payload).
    public mutating func receivedInvalidClose(failWith code: WebSocketErrorCode, reason: String) -> Action {
        switch self.state {
        case .open:
            self.closeReason = WebSocketCloseReason(code: code, reason: reason, initiatedLocally: true)
            self.state = .closing
            return .sendCloseAndCloseChannel(code: code, reason: reason)
        case .closeSent:
            self.state = .closing
            return .closeChannel
        case .closing, .closed:
            return .none
        }
    }

    /// The close timeout fired.
    public mutating func closeTimedOut() -> Action {
        switch self.state {
        case .closeSent, .closing:
            self.state = .closing
            return .closeChannel
        case .open, .closed:
            return .none
        }
    }

    /// The TCP connection is gone. Returns the reason to report, exactly once.
    public mutating func channelClosed() -> WebSocketCloseReason? {
        if self.closeReason == nil {
            self.closeReason = WebSocketCloseReason(code: nil, reason: "connection closed without closing handshake")
        }
        self.state = .closed
        guard !self.reported else { return nil }
        self.reported = true
        return self.closeReason
    }
}
