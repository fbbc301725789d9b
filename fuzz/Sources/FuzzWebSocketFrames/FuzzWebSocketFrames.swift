import NIOCore
import NIOWebSocket
import WebSocketIO

/// libFuzzer entry: bytes a peer sends after the upgrade, through the same path as
/// `WebSocketChannelHandler.channelRead` (`WebSocketFrameParser` into `WebSocketInboundAssembler`),
/// cut into reads at fuzzer-chosen points. The first three bytes choose the setting:
///
/// - byte 0, bit 0: our role (0 server: peer frames must be masked; 1 client)
/// - byte 0, bit 1: permessage-deflate negotiated; bit 2: the peer's no_context_takeover
/// - byte 0, bits 3-4: the message size limit (125, 1000, 70000 or 16 MiB)
/// - byte 0, bits 5-7: the largest read (1, 2, 3, 7, 16, 64, 512 bytes, or everything at once)
/// - bytes 1-2: seed of the read sizes below that largest read
///
/// Checked besides "no trap, leak or memory error": every message is within the limit, every
/// text message is valid UTF-8, control payloads are at most 125 bytes, and `UTF8Validator` fed
/// the same bytes in the same pieces agrees with the standard library's UTF-8 validation.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWebSocketFrames(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 3 else { return 0 }
    let input = UnsafeBufferPointer(start: data, count: size)
    let flags = input[0]
    let role: WebSocketInboundAssembler.Role = flags & 1 == 0 ? .server : .client
    let deflate: PerMessageDeflateConfiguration? =
        flags & 2 == 0 ? nil : PerMessageDeflateConfiguration(receiveNoContextTakeover: flags & 4 != 0)
    let maxMessageSize = [125, 1000, 70000, 16 << 20][Int(flags >> 3) & 3]
    let largestRead = [1, 2, 3, 7, 16, 64, 512, Int.max][Int(flags >> 5)]
    var reads = ReadSizes(seed: UInt16(input[1]) | UInt16(input[2]) << 8, largest: largestRead)
    let bytes = UnsafeBufferPointer(rebasing: input[3...])

    var parser = WebSocketFrameParser(maxFrameLength: maxMessageSize)
    var assembler = WebSocketInboundAssembler(role: role, maxMessageSize: maxMessageSize, deflate: deflate)
    var validator = UTF8Validator()
    var validatorVerdict = true
    var parserBroken = false
    var offset = 0
    while offset < bytes.count {
        let count = Swift.min(reads.next(), bytes.count - offset)
        let piece = UnsafeBufferPointer(rebasing: bytes[offset..<(offset + count)])
        offset += count

        if validatorVerdict { validatorVerdict = validator.validate(UnsafeRawBufferPointer(piece)) }

        // The channel handler stops reading for good once the parser throws.
        if parserBroken { continue }
        var buffer = ByteBuffer(bytes: piece)
        while true {
            let event: WebSocketFrameParser.Event?
            do {
                event = try parser.next(&buffer)
            } catch {
                parserBroken = true
                break
            }
            guard let event else { break }
            check(assembler.receive(event), maxMessageSize: maxMessageSize)
        }
        if !parserBroken && buffer.readableBytes != 0 {
            fatalError("the parser asked for more bytes with \(buffer.readableBytes) unread")
        }
    }

    let standardVerdict = String(validating: bytes, as: UTF8.self) != nil
    if (validatorVerdict && validator.isComplete) != standardVerdict {
        fatalError("UTF8Validator says \(!standardVerdict), the standard library \(standardVerdict)")
    }
    return 0
}

private func check(_ output: WebSocketInboundAssembler.Output, maxMessageSize: Int) {
    switch output {
    case .none, .failure:
        break
    case .message(let payload, let kind):
        if payload.readableBytes > maxMessageSize {
            fatalError("message of \(payload.readableBytes) bytes above the limit \(maxMessageSize)")
        }
        if kind == .text && String(validating: payload.readableBytesView, as: UTF8.self) == nil {
            fatalError("text message that is not valid UTF-8 passed")
        }
    case .ping(let payload), .pong(let payload):
        if payload.readableBytes > 125 { fatalError("control payload of \(payload.readableBytes) bytes") }
    case .close(let payload):
        if payload.readableBytes > 125 { fatalError("close payload of \(payload.readableBytes) bytes") }
        _ = WebSocketClosePayload.parse(payload)
    }
}

/// Read sizes in 1...largest from a 16-bit xorshift, so that one seed gives one cut of the input.
private struct ReadSizes {
    var state: UInt16
    let largest: Int

    init(seed: UInt16, largest: Int) {
        self.state = seed == 0 ? 0xACE1 : seed
        self.largest = largest
    }

    mutating func next() -> Int {
        if self.largest == Int.max { return Int.max }
        self.state ^= self.state << 7
        self.state ^= self.state >> 9
        self.state ^= self.state << 8
        return 1 + Int(self.state) % self.largest
    }
}
