import NIOCore

/// The hot messages in JSON: read with `JSONScanner`, written as text by hand.
extension WampPeer {
    func receiveJSON(_ message: ByteBuffer) -> Bool {
        message.withUnsafeReadableBytes { raw -> Bool in
            var scanner = JSONScanner(raw)
            guard scanner.expect(UInt8(ascii: "[")), let code = scanner.readUInt(), scanner.expect(UInt8(ascii: ",")) else {
                return false
            }
            switch code {
            case 50 where role == .caller: return receiveResultJSON(&scanner)
            case 68 where role == .callee: return receiveInvocationJSON(&scanner, raw)
            case 36 where role == .subscriber: return receiveEventJSON(&scanner)
            case 17 where role == .publisher: return receivePublished()
            default: return false
            }
        }
    }

    private func receiveResultJSON(_ s: inout JSONScanner) -> Bool {
        guard s.readUInt() != nil, s.expect(UInt8(ascii: ",")), s.skipValue(), s.expect(UInt8(ascii: ",")),
              s.expect(UInt8(ascii: "[")), let sent = s.readUInt() else { return false }
        completeCall(sent: sent)
        return true
    }

    private func receiveInvocationJSON(_ s: inout JSONScanner, _ raw: UnsafeRawBufferPointer) -> Bool {
        guard let request = s.readUInt(), s.expect(UInt8(ascii: ",")), s.readUInt() != nil, s.expect(UInt8(ascii: ",")),
              s.skipValue(), let end = s.lastBracket(), s.index <= end else { return false }
        var yield = startMessage(capacity: 24 + end - s.index)
        yield.writeStaticString("[70,")
        yield.writeDecimal(request)
        yield.writeStaticString(",{}")
        yield.writeBytes(UnsafeRawBufferPointer(rebasing: raw[s.index..<end]))
        yield.writeStaticString("]")
        send(yield)
        return true
    }

    private func receiveEventJSON(_ s: inout JSONScanner) -> Bool {
        guard s.readUInt() != nil, s.expect(UInt8(ascii: ",")), s.readUInt() != nil, s.expect(UInt8(ascii: ",")),
              s.skipValue(), s.expect(UInt8(ascii: ",")), s.expect(UInt8(ascii: "[")),
              let seq = s.readUInt(), s.expect(UInt8(ascii: ",")), let sent = s.readUInt() else { return false }
        receiveEvent(seq: seq, sent: sent)
        return true
    }

    func sendCallJSON(request: UInt64) {
        var call = startMessage(capacity: 64)
        call.writeStaticString("[48,")
        call.writeDecimal(request)
        call.writeStaticString(",{},\"")
        call.writeString(config.procedure)
        call.writeStaticString("\",[")
        call.writeDecimal(nowNanos())
        call.writeStaticString("]]")
        send(call)
    }

    func publishJSON(request: UInt64) {
        var message = startMessage(capacity: 80 + (padding?.readableBytes ?? 0))
        message.writeStaticString("[16,")
        message.writeDecimal(request)
        if config.acknowledge {
            message.writeStaticString(",{\"acknowledge\":true},\"")
        } else {
            message.writeStaticString(",{},\"")
        }
        message.writeString(config.topic)
        message.writeStaticString("\",[")
        message.writeDecimal(published)
        message.writeStaticString(",")
        message.writeDecimal(nowNanos())
        if let padding { message.writeImmutableBuffer(padding) }
        message.writeStaticString("]]")
        send(message)
    }
}
