import NIOCore

/// Reading less from a peer, the NIO way: the handler holds the pipeline's `read` (so NIO stops
/// reading the socket) and keeps the bytes of the current read cycle unparsed until reading
/// resumes. Paused while the channel is not writable, i.e. while the outbound backlog is above
/// the write buffer's high-water mark (`ChannelOptions.writeBufferWaterMark`, set at upgrade to
/// half and a quarter of `maxBacklogBytes`); resumed once NIO reports it writable again, below
/// the low-water mark. Paused also while a peer is over its message rate, until its token
/// bucket holds a token again (`MessageRateLimiter`): slowed, never answered by dropping.
extension WebSocketChannelHandler {
    var readsPaused: Bool { self.pausedForBackpressure || self.pausedForRate || self.pausedByApplication }

    /// The application stops message delivery (no further `didReceive` until it resumes), e.g.
    /// while a decision about the last message is made elsewhere and later messages must not
    /// overtake it.
    func applicationPausedReading(_ paused: Bool) {
        guard paused != self.pausedByApplication else { return }
        self.pausedByApplication = paused
        if !paused, let context = self.context { self.resumeReading(context: context) }
    }

    /// After each delivered message when a rate limit is set.
    func messageCounted(context: ChannelHandlerContext) {
        guard let wait = self.rateLimiter?.take(now: context.eventLoop.now), !self.pausedForRate else { return }
        self.pausedForRate = true
        WebSocketMetrics.recordRatePause()
        self.rateTimer = context.eventLoop.assumeIsolated().scheduleTask(in: wait) {
            self.rateTimer = nil
            self.pausedForRate = false
            self.resumeReading(context: context)
        }
    }

    func read(context: ChannelHandlerContext) {
        if self.readsPaused {
            self.readHeld = true
        } else {
            context.read()
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        let writable = context.channel.isWritable
        if !writable && !self.pausedForBackpressure {
            self.pausedForBackpressure = true
            WebSocketMetrics.recordBackpressurePause()
            self.logger.debug("peer not reading: reads paused until its backlog drains")
        } else if writable && self.pausedForBackpressure {
            self.pausedForBackpressure = false
            self.resumeReading(context: context)
        }
        context.fireChannelWritabilityChanged()
    }

    /// Parses what was held, then lets NIO read again if nothing paused us meanwhile.
    func resumeReading(context: ChannelHandlerContext) {
        guard !self.readsPaused else { return }
        if var held = self.heldInput {
            self.heldInput = nil
            let wasInRead = self.inRead
            self.inRead = true
            self.parseInput(&held, context: context)
            self.inRead = wasInRead
            if !wasInRead && self.flushPending { self.flushNow() }
            guard !self.readsPaused else { return }
        }
        if self.readHeld {
            self.readHeld = false
            context.read()
        }
    }
}
