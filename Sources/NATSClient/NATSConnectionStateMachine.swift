import NIOCore

/// The life of a connection as decisions only: which server to try next, when, when a
/// connection counts as up or dead, when to give up. `NATSConnection` feeds it events and
/// performs the actions it returns; it never touches a channel itself, so it is tested alone.
struct NATSConnectionStateMachine {
    enum State: Equatable {
        case idle
        /// A TCP connect to `servers[server]` is under way.
        case connecting(server: Int)
        /// TCP is up; waiting for INFO, then for the PONG that answers CONNECT+PING.
        case handshaking(server: Int, sentConnect: Bool)
        case connected(server: Int)
        case waitingToReconnect(server: Int)
        case closed
    }

    enum Action: Equatable {
        case connect(server: Int)
        /// Send CONNECT, the SUBs of live subscriptions, and a PING whose PONG ends the handshake.
        case sendHandshake
        /// The handshake's PONG came: publishes may flow. `reconnected` when it was up before.
        case becameConnected(server: Int, reconnected: Bool)
        case sendPing
        /// Close the channel (a stale connection, or `close()`); its closing comes back as `channelClosed`.
        case closeChannel
        case scheduleReconnect(server: Int, delay: TimeAmount)
        /// Was connected, is not any more: fail what waits on this connection, tell the caller.
        case becameDisconnected
        /// Attempts used up or `close()`: fail everything for good.
        case becameClosed
    }

    let serverCount: Int
    let maxPingsOutstanding: Int
    /// nil: reconnect forever.
    let maxReconnectAttempts: Int?
    let reconnectWaitMin: TimeAmount
    let reconnectWaitMax: TimeAmount

    private(set) var state: State = .idle
    private(set) var failedAttempts = 0
    private(set) var everConnected = false
    private(set) var pingsOutstanding = 0

    init(serverCount: Int, maxPingsOutstanding: Int, maxReconnectAttempts: Int?, reconnectWaitMin: TimeAmount, reconnectWaitMax: TimeAmount) {
        precondition(serverCount > 0)
        self.serverCount = serverCount
        self.maxPingsOutstanding = max(1, maxPingsOutstanding)
        self.maxReconnectAttempts = maxReconnectAttempts
        self.reconnectWaitMin = reconnectWaitMin
        self.reconnectWaitMax = reconnectWaitMax
    }

    var isConnected: Bool { if case .connected = state { true } else { false } }

    mutating func start() -> [Action] {
        guard state == .idle else { return [] }
        state = .connecting(server: 0)
        return [.connect(server: 0)]
    }

    mutating func channelActive() -> [Action] {
        guard case .connecting(let server) = state else { return [] }
        state = .handshaking(server: server, sentConnect: false)
        return []
    }

    mutating func infoReceived() -> [Action] {
        guard case .handshaking(let server, false) = state else { return [] }
        state = .handshaking(server: server, sentConnect: true)
        return [.sendHandshake]
    }

    mutating func pongReceived() -> [Action] {
        pingsOutstanding = 0
        guard case .handshaking(let server, true) = state else { return [] }
        state = .connected(server: server)
        let reconnected = everConnected
        everConnected = true
        failedAttempts = 0
        return [.becameConnected(server: server, reconnected: reconnected)]
    }

    /// The keepalive timer: a PING, or the verdict that the connection is dead.
    mutating func pingTimerFired() -> [Action] {
        guard isConnected else { return [] }
        if pingsOutstanding >= maxPingsOutstanding { return [.closeChannel] }
        pingsOutstanding += 1
        return [.sendPing]
    }

    /// The handshake took too long (no INFO or no PONG): treat like a failed connect.
    mutating func handshakeTimedOut() -> [Action] {
        guard case .handshaking = state else { return [] }
        return [.closeChannel]
    }

    /// The TCP connect failed, or an open channel closed (server gone, stale, protocol error).
    mutating func channelClosed() -> [Action] {
        let server: Int
        var actions: [Action] = []
        switch state {
        case .connecting(let index), .handshaking(let index, _):
            server = index
            failedAttempts += 1
        case .connected(let index):
            server = index
            actions.append(.becameDisconnected)
        case .idle, .waitingToReconnect, .closed:
            return []
        }
        pingsOutstanding = 0
        if let limit = maxReconnectAttempts, failedAttempts > limit {
            state = .closed
            return actions + [.becameClosed]
        }
        // The next server of the list; the wait grows with the failures since the last success,
        // so a dead cluster is retried at most every `reconnectWaitMax`.
        let next = (server + 1) % serverCount
        state = .waitingToReconnect(server: next)
        return actions + [.scheduleReconnect(server: next, delay: delay())]
    }

    mutating func reconnectTimerFired() -> [Action] {
        guard case .waitingToReconnect(let server) = state else { return [] }
        state = .connecting(server: server)
        return [.connect(server: server)]
    }

    mutating func close() -> [Action] {
        switch state {
        case .closed:
            return []
        case .connecting, .handshaking, .connected:
            let wasConnected = isConnected
            state = .closed
            return (wasConnected ? [.becameDisconnected] : []) + [.closeChannel, .becameClosed]
        case .idle, .waitingToReconnect:
            state = .closed
            return [.becameClosed]
        }
    }

    func delay() -> TimeAmount {
        // The first retry after a drop comes after the shortest wait (a restarted server is back
        // soon; a server that drops every connection at once does not make a tight loop), then doubles.
        let shift = min(max(failedAttempts - 1, 0), 20)
        let nanoseconds = reconnectWaitMin.nanoseconds.multipliedReportingOverflow(by: Int64(1) << shift)
        if nanoseconds.overflow { return reconnectWaitMax }
        return .nanoseconds(min(nanoseconds.partialValue, reconnectWaitMax.nanoseconds))
    }
}
