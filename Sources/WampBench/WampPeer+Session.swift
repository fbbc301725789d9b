import NIOCore
import WampMessages

/// The rare messages: session set-up and teardown, written by hand in the peer's serialization
/// and read with the router's own decoders.
extension WampPeer {
    func sendHello() {
        var hello = startMessage(capacity: 128)
        switch config.serialization {
        case .json:
            hello.writeStaticString("[1,\"")
            hello.writeString(config.realm)
            hello.writeStaticString("\",{\"roles\":{\"caller\":{},\"callee\":{},\"publisher\":{},\"subscriber\":{}}}]")
        case .msgpack: MsgpackBenchWire.writeHello(realm: config.realm, to: &hello)
        case .cbor: CBORBenchWire.writeHello(realm: config.realm, to: &hello)
        }
        send(hello)
    }

    /// REGISTER (64) or SUBSCRIBE (32) with `{}` or `{"match": match}`.
    func sendRegistration(code: UInt64, request: UInt64, match: String?, uri: String) {
        var message = startMessage(capacity: 48 + uri.utf8.count)
        switch config.serialization {
        case .json:
            let options = match.map { "{\"match\":\"\($0)\"}" } ?? "{}"
            message.writeString("[\(code),\(request),\(options),\"\(uri)\"]")
        case .msgpack: MsgpackBenchWire.writeRegistration(code: code, request: request, match: match, uri: uri, to: &message)
        case .cbor: CBORBenchWire.writeRegistration(code: code, request: request, match: match, uri: uri, to: &message)
        }
        send(message)
    }

    func sendGoodbye(reason: String) {
        var message = startMessage(capacity: 32 + reason.utf8.count)
        switch config.serialization {
        case .json: message.writeString("[6,{},\"\(reason)\"]")
        case .msgpack: MsgpackBenchWire.writeGoodbye(reason: reason, to: &message)
        case .cbor: CBORBenchWire.writeGoodbye(reason: reason, to: &message)
        }
        send(message)
    }

    func receiveRare(_ bytes: ByteBuffer) {
        let message: WampMessage
        do {
            message = try config.serialization.decode(bytes)
        } catch {
            let shown = config.serialization == .json
                ? String(String(buffer: bytes).prefix(200))
                : (bytes.getBytes(at: bytes.readerIndex, length: min(64, bytes.readableBytes)) ?? []).map { String($0, radix: 16) }.joined(separator: " ")
            fail("undecodable \(config.serialization) message: \(error) \(shown)")
            return
        }
        switch message {
        case .welcome(let welcome):
            guard state == .connecting else { return fail("unexpected WELCOME") }
            enter(.established)
            sessionID = welcome.session
            switch role {
            case .callee:
                let registration = config.calleeRegistration ?? (match: nil, uri: config.procedure)
                sendRegistration(code: 64, request: 1, match: registration.match, uri: registration.uri)
            case .patternHolder:
                sendPatterns()
            case .subscriber:
                sendRegistration(code: 32, request: 1, match: nil, uri: config.topic)
            case .session:
                stats.completed += 1
                stats.recordLatency(nowNanos() &- connectStart)
                becomeReady()
            default:
                becomeReady()
            }
        case .registered where role == .callee, .subscribed where role == .subscriber:
            becomeReady()
        case .registered where role == .patternHolder, .subscribed where role == .patternHolder:
            patternsAcknowledged += 1
            if patternsAcknowledged == patterns.count { becomeReady() }
        case .error(let error):
            if error.requestType == .call, role == .caller {
                outstanding -= 1
                completedCalls += 1
                if stats.running && state == .ready && budgetLeft { sendCall() }
            } else if error.requestType == .publish, role == .publisher {
                outstanding -= 1
            }
            fail("ERROR \(error.requestType.name) \(error.error)")
            if !readyDone { readyDone = true; ready.fail(BenchError("ERROR \(error.error)")) }
        case .abort(let abort):
            fail("ABORT \(abort.reason)")
            if !readyDone { readyDone = true; ready.fail(BenchError("ABORT \(abort.reason)")) }
            enter(.closing)
            link?.close()
        case .goodbye(let goodbye):
            if state == .closing {
                link?.close()
            } else {
                fail("router said GOODBYE \(goodbye.reason)")
                enter(.closing)
                sendGoodbye(reason: "wamp.close.goodbye_and_out")
                link?.close()
            }
        default:
            fail("unexpected \(message.code.name) for a \(role)")
        }
    }

    /// All of the holder's wildcard SUBSCRIBEs or REGISTERs at once; ready when every one is answered.
    private func sendPatterns() {
        guard !patterns.isEmpty else { return becomeReady() }
        let code: UInt64 = patternsRegister ? 64 : 32
        for (index, pattern) in patterns.enumerated() {
            sendRegistration(code: code, request: UInt64(index + 1), match: "wildcard", uri: pattern)
        }
    }
}
