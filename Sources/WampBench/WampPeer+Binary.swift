import NIOCore

/// The hot messages in MessagePack or CBOR: read with the format's `BinaryScanner`, written with
/// its `BinaryWire`. Generic over the format so each is specialized, with no per-item dispatch.
extension WampPeer {
    func receiveBinary<Wire: BinaryWire>(_ message: ByteBuffer, _ wire: Wire.Type) -> Bool {
        message.withUnsafeReadableBytes { raw -> Bool in
            var scanner = Wire.Scanner(raw)
            guard let length = scanner.readArrayLength(), let code = scanner.readUInt() else { return false }
            switch code {
            case 50 where role == .caller:
                // [50, request, details, [sent]]
                guard scanner.readUInt() != nil, scanner.skipValue(), scanner.readArrayLength() != nil,
                      let sent = scanner.readUInt() else { return false }
                completeCall(sent: sent)
                return true
            case 68 where role == .callee:
                // [68, request, registration, details, args?, kwargs?]
                guard let request = scanner.readUInt(), scanner.readUInt() != nil, scanner.skipValue() else { return false }
                let rest = UnsafeRawBufferPointer(rebasing: raw[scanner.index...])
                var yield = startMessage(capacity: 16 + rest.count)
                Wire.writeYield(request: request, invocationLength: length, rest: rest, to: &yield)
                send(yield)
                return true
            case 36 where role == .subscriber:
                // [36, subscription, publication, details, [seq, sent, ...]]
                guard scanner.readUInt() != nil, scanner.readUInt() != nil, scanner.skipValue(),
                      scanner.readArrayLength() != nil, let seq = scanner.readUInt(), let sent = scanner.readUInt() else { return false }
                receiveEvent(seq: seq, sent: sent)
                return true
            case 17 where role == .publisher:
                return receivePublished()
            default:
                return false
            }
        }
    }

    func sendCallBinary<Wire: BinaryWire>(request: UInt64, _ wire: Wire.Type) {
        var call = startMessage(capacity: 48 + config.procedure.utf8.count)
        Wire.writeCall(request: request, procedure: config.procedure, sent: nowNanos(), to: &call)
        send(call)
    }

    func publishBinary<Wire: BinaryWire>(request: UInt64, _ wire: Wire.Type) {
        var message = startMessage(capacity: 64 + config.topic.utf8.count + (padding?.readableBytes ?? 0))
        Wire.writePublish(request: request, acknowledge: config.acknowledge, topic: config.topic, seq: published,
                          sent: nowNanos(), padding: padding, to: &message)
        send(message)
    }
}
