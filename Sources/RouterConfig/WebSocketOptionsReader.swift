/// Reads a WebSocket transport's (or web path's) `options`.
///
/// Every Crossbar WebSocket option is known here. Those this router applies become
/// `WebSocketOptions`; those that ask for what this router does anyway pass without a word;
/// those that only tune Crossbar's own implementation (fragment sizes, ping payload size, status
/// page) are accepted with a notice saying they have no effect; those that would change what a
/// peer may do in a way this router does not implement are problems.
enum WebSocketOptionsReader {
    /// Crossbar's `max_message_size` bounds: 1 byte to 64 MiB.
    static let messageSizeRange = 1...(64 << 20)

    static func read(_ node: ConfigNode, at path: ConfigPath, log: ProblemLog) -> WebSocketOptions? {
        guard var map = MapReader(node, at: path, log: log) else { return nil }
        let problemsBefore = log.problems.count
        var options = WebSocketOptions()
        options.maxMessageSize = map.int("max_message_size", in: messageSizeRange, unit: "bytes")
        options.autoPingInterval = milliseconds(&map, "auto_ping_interval", zeroAllowed: true)
        if let timeout = milliseconds(&map, "auto_ping_timeout", zeroAllowed: true) {
            if timeout == .zero {
                log.notice(path.key("auto_ping_timeout"), "0 (no timeout in Crossbar) is not applied: an unanswered ping still ends the connection after --auto-ping-timeout", line: map.lineOf("auto_ping_timeout"))
            } else {
                options.autoPingTimeout = timeout
            }
        }
        if let timeout = milliseconds(&map, "open_handshake_timeout", zeroAllowed: true) {
            if timeout == .zero {
                log.notice(path.key("open_handshake_timeout"), "0 (no limit in Crossbar) is not applied: the handshake is still bounded by --handshake-timeout", line: map.lineOf("open_handshake_timeout"))
            } else {
                options.openHandshakeTimeout = timeout
            }
        }
        if map.has("compression") {
            options.permessageDeflate = readCompression(&map, at: path.key("compression"), log: log)
        }
        options.allowedOrigins = map.stringList("allowed_origins")
        options.allowNullOrigin = map.bool("allow_null_origin")
        options.requireSubprotocol = map.bool("require_websocket_subprotocol")

        readBehaviourOptions(&map, at: path, log: log, maxMessageSize: options.maxMessageSize)
        map.finish(unsupported: [
            "flash_policy": "Flash socket policy files",
        ])
        return log.problems.count == problemsBefore ? options : nil
    }

    /// Crossbar's millisecond options: an integer, 0 or at least 1000 (a smaller one is taken
    /// for a mistake in units, as Crossbar does), here at most 1,000,000 seconds like the flags.
    private static func milliseconds(_ map: inout MapReader, _ key: String, zeroAllowed: Bool) -> Duration? {
        guard let value = map.int(key, in: 0...1_000_000_000, unit: "milliseconds") else { return nil }
        if value != 0, value < 1000 {
            map.log.problem(map.path.key(key), "is in milliseconds; \(value) is too small (Crossbar's rule: 0 or at least 1000)", line: map.line)
            return nil
        }
        return .milliseconds(value)
    }

    /// `compression: {deflate: {...}}` turns permessage-deflate on. Its tuning parameters are
    /// type-checked but not applied: this router answers the client's offer with its own
    /// parameters.
    private static func readCompression(_ map: inout MapReader, at path: ConfigPath, log: ProblemLog) -> Bool? {
        guard var compression = map.map("compression") else { return nil }
        defer { compression.finish() }
        guard compression.has("deflate") else { return false }
        guard var deflate = compression.map("deflate") else { return nil }
        var tuned: [String] = []
        for key in ["request_no_context_takeover", "no_context_takeover"] where deflate.has(key) {
            if deflate.bool(key) != nil { tuned.append(key) }
        }
        for key in ["request_max_window_bits", "max_window_bits"] where deflate.has(key) {
            if deflate.int(key, in: 0...15) != nil { tuned.append(key) }
        }
        if deflate.has("memory_level"), deflate.int("memory_level", in: 1...9) != nil { tuned.append("memory_level") }
        deflate.finish()
        if !tuned.isEmpty {
            log.notice(path.key("deflate"), "\(tuned.joined(separator: ", ")) not applied: permessage-deflate is negotiated from the client's offer with this router's own parameters", line: deflate.lineOf("deflate"))
        }
        return true
    }

    /// Options about how Crossbar's WebSocket implementation behaves.
    private static func readBehaviourOptions(_ map: inout MapReader, at path: ConfigPath, log: ProblemLog, maxMessageSize: Int?) {
        func notice(_ key: String, _ message: String) { log.notice(path.key(key), message, line: map.line) }
        func problem(_ key: String, _ message: String) { log.problem(path.key(key), message, line: map.line) }

        // The value this router always behaves as; another value gets the message.
        let fixed: [(key: String, value: Bool, message: String, refuse: Bool)] = [
            ("enable_rfc6455", true, "not supported by this router: it speaks RFC 6455 WebSocket only", true),
            ("enable_flash_policy", false, "not supported by this router: Flash socket policy files", true),
            ("enable_webstatus", false, "has no effect here: a plain HTTP GET gets this router's short text page, not Crossbar's status page", false),
            ("validate_utf8", true, "has no effect here: text messages are always checked to be UTF-8", false),
            ("mask_server_frames", false, "has no effect here: server frames are never masked (RFC 6455)", false),
            ("require_masked_client_frames", true, "has no effect here: client frames must always be masked (RFC 6455)", false),
            ("apply_mask", true, "has no effect here: masks are always applied", false),
            ("tcp_nodelay", true, "has no effect here: TCP_NODELAY is always on", false),
            ("auto_ping_restart_on_any_traffic", true, "has no effect here: pings are sent after auto_ping_interval without inbound traffic", false),
            ("echo_close_codereason", false, "has no effect here: a close is answered with status 1000", false),
            ("fail_by_drop", false, "has no effect here: a failing connection gets a close frame before TCP is closed", false),
            ("show_server_version", false, "has no effect here: the router does not announce its version", false),
        ]
        for option in fixed {
            guard let value = map.bool(option.key), value != option.value else { continue }
            option.refuse ? problem(option.key, option.message) : notice(option.key, option.message)
        }
        if map.bool("enable_hybi10") == true {
            notice("enable_hybi10", "has no effect here: only RFC 6455 (version 13) handshakes are accepted")
        }
        if let size = map.int("auto_fragment_size", in: 0...Int.max, unit: "bytes"), size != 0 {
            notice("auto_fragment_size", "has no effect here: each message is sent in one frame")
        }
        if let size = map.int("max_frame_size", in: 0...Int.max, unit: "bytes"), size != 0, size < (maxMessageSize ?? Int.max) {
            notice("max_frame_size", "not applied: frames are bounded only by max_message_size (and --max-fragments per message)")
        }
        if map.int("auto_ping_size", in: 12...125, unit: "bytes") != nil {
            notice("auto_ping_size", "has no effect here: pings carry this router's own payload")
        }
        if map.int("close_handshake_timeout", in: 0...1_000_000_000, unit: "milliseconds") != nil {
            notice("close_handshake_timeout", "has no effect here: the router's close timeout is fixed")
        }
        if map.int("external_port", in: 1...65535) != nil {
            notice("external_port", "has no effect here")
        }
    }
}
