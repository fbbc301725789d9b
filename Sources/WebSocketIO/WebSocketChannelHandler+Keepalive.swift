import NIOCore

/// Auto-ping: a peer silent for the interval is pinged; one that stays silent for the timeout
/// after the ping is dropped without a close handshake (it is not answering, so waiting for its
/// close frame would only add the close timeout), and its user handler sees an abnormal close
/// (no code, 1006). Any inbound bytes count as an answer, and so does outbound progress while
/// reads are paused for back-pressure: we are then not reading the peer's pong, but a peer
/// that drains its backlog is alive.
extension WebSocketChannelHandler {
    func startKeepalive(context: ChannelHandlerContext) {
        guard let autoPing = self.limits.autoPing else { return }
        self.lastInbound = context.eventLoop.now
        self.scheduleKeepalive(at: self.lastInbound + autoPing.interval, context: context)
    }

    private func scheduleKeepalive(at deadline: NIODeadline, context: ChannelHandlerContext) {
        self.keepaliveTimer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
            self.keepaliveFired()
        }
    }

    private func keepaliveFired() {
        self.keepaliveTimer = nil
        guard let autoPing = self.limits.autoPing, self.stateMachine.isOpen, let context = self.context else { return }
        let now = context.eventLoop.now
        guard let sentAt = self.pingSentAt else {
            if now - self.lastInbound < autoPing.interval {
                self.scheduleKeepalive(at: self.lastInbound + autoPing.interval, context: context)
                return
            }
            self.sampleBuffered(context: context)
            self.bufferedAtPing = self.bufferedAtSample
            self.pingSentAt = now
            var payload = context.channel.allocator.buffer(capacity: 8)
            payload.writeInteger(UInt64(truncatingIfNeeded: now.uptimeNanoseconds))
            self.writeControlFrame(opcode: .ping, data: payload)
            self.scheduleKeepalive(at: now + autoPing.timeout, context: context)
            return
        }
        self.pingSentAt = nil
        if self.lastInbound >= sentAt {
            self.scheduleKeepalive(at: Swift.max(self.lastInbound + autoPing.interval, now), context: context)
            return
        }
        self.sampleBuffered(context: context)
        if self.readsPaused && self.bufferedAtSample < self.bufferedAtPing {
            self.scheduleKeepalive(at: now + autoPing.interval, context: context)
            return
        }
        WebSocketMetrics.recordPingTimeout()
        self.logger.info("closing WebSocket connection: no answer to ping", metadata: [
            "autoPingTimeout": "\(secondsText(autoPing.timeout))",
        ])
        self.perform(self.stateMachine.abandon(reason: "no answer to ping within \(secondsText(autoPing.timeout))"))
    }
}
