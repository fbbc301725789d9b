import NIOCore
import NIOWebSocket

/// Turns parsed frame events into complete messages and control events, enforcing the protocol
/// rules NIO's codec leaves to the application: reserved bits, unknown opcodes, masking direction,
/// control-frame rules, fragmentation order, message size, incremental UTF-8 validation of text
/// (failing at the first invalid fragment/chunk) and permessage-deflate decompression.
///
/// No channel, no I/O: fed by `WebSocketFrameParser` events and tested on values.
package struct WebSocketInboundAssembler {
    package enum Output: Equatable {
        case none
        case message(ByteBuffer, WebSocketMessageKind)
        case ping(ByteBuffer)
        case pong(ByteBuffer)
        case close(ByteBuffer)
        /// Fail the connection with this close code.
        case failure(WebSocketErrorCode, String)
    }

    package enum Role: Sendable { case server, client }

    private struct Message {
        var kind: WebSocketMessageKind
        var compressed: Bool
        var buffer: ByteBuffer?
        var size: Int
        var fragments = 1
    }

    private let role: Role
    private let maxMessageSize: Int
    /// Most frames one message may arrive in (nil: any number): a message of a million
    /// one-byte fragments costs a million frame headers to parse for one byte each.
    private let maxFragments: Int?
    /// Negotiated permessage-deflate, if any; the decompressor (a 32 KiB window plus zlib state)
    /// is only created when the first compressed message arrives.
    private let deflate: PerMessageDeflateConfiguration?
    private var decompressor: PerMessageDeflateDecompressor?
    private let allocator: ByteBufferAllocator

    private var frame: WebSocketFrameHeader? = nil
    private var message: Message? = nil
    private var validator = UTF8Validator()
    private var control = ByteBuffer()
    package private(set) var failed = false

    package init(role: Role, maxMessageSize: Int, maxFragments: Int? = nil, deflate: PerMessageDeflateConfiguration?,
         allocator: ByteBufferAllocator = ByteBufferAllocator()) {
        self.role = role
        self.maxMessageSize = maxMessageSize
        self.maxFragments = maxFragments
        self.deflate = deflate
        self.allocator = allocator
    }

    package mutating func receive(_ event: WebSocketFrameParser.Event) -> Output {
        switch event {
        case .header(let header):
            return self.receiveHeader(header)
        case .payload(let chunk, let frameEnd):
            return self.receivePayload(chunk, frameEnd: frameEnd)
        }
    }

    private mutating func fail(_ code: WebSocketErrorCode, _ reason: String) -> Output {
        self.failed = true
        self.message = nil
        self.frame = nil  // the rest of the offending frame is not the peer's close
        return .failure(code, reason)
    }

    private mutating func receiveHeader(_ header: WebSocketFrameHeader) -> Output {
        self.frame = header
        if self.failed {
            // Only a close frame that keeps the control-frame rules can complete the closing
            // handshake; any other frame is skipped without buffering its payload.
            if header.opcode == 0x8 && header.fin && header.length <= 125 {
                self.control.clear()
            } else {
                self.frame = nil
            }
            return .none
        }
        if header.rsv2 || header.rsv3 {
            return self.fail(.protocolError, "reserved bits RSV2/RSV3 set")
        }
        switch self.role {
        case .server where header.maskKey == nil:
            return self.fail(.protocolError, "client frame not masked")
        case .client where header.maskKey != nil:
            return self.fail(.protocolError, "server frame masked")
        default:
            break
        }
        switch header.opcode {
        case 0x8, 0x9, 0xA:
            if !header.fin { return self.fail(.protocolError, "fragmented control frame") }
            if header.length > 125 { return self.fail(.protocolError, "control frame payload above 125 bytes") }
            if header.rsv1 { return self.fail(.protocolError, "RSV1 set on a control frame") }
            self.control.clear()
            return .none
        case 0x1, 0x2:
            if self.message != nil { return self.fail(.protocolError, "new data frame while a fragmented message is open") }
            if header.rsv1 && self.deflate == nil { return self.fail(.protocolError, "RSV1 set without negotiated compression") }
            self.message = Message(kind: header.opcode == 0x1 ? .text : .binary, compressed: header.rsv1, buffer: nil, size: 0)
            self.validator.reset()
        case 0x0:
            if self.message == nil { return self.fail(.protocolError, "continuation frame without a message") }
            if header.rsv1 { return self.fail(.protocolError, "RSV1 set on a continuation frame") }
            self.message!.fragments += 1
            if let maxFragments = self.maxFragments, self.message!.fragments > maxFragments {
                return self.fail(.policyViolation, "message in more than \(maxFragments) fragments")
            }
        default:
            return self.fail(.protocolError, "unknown opcode \(header.opcode)")
        }
        if !self.message!.compressed && self.message!.size + header.length > self.maxMessageSize {
            return self.fail(.messageTooLarge, "message larger than \(self.maxMessageSize) bytes")
        }
        return .none
    }

    private mutating func receivePayload(_ chunk: ByteBuffer, frameEnd: Bool) -> Output {
        guard let header = self.frame, !self.failed else {
            // After a failure only a close frame from the peer matters.
            if let header = self.frame, header.opcode == 0x8 {
                var chunk = chunk
                self.control.writeBuffer(&chunk)
                if frameEnd { return .close(self.control) }
            }
            return .none
        }
        if header.isControl {
            var chunk = chunk
            self.control.writeBuffer(&chunk)
            guard frameEnd else { return .none }
            switch header.opcode {
            case 0x9: return .ping(self.control)
            case 0xA: return .pong(self.control)
            default: return .close(self.control)
            }
        }
        guard var message = self.message else { return .none }
        self.message = nil  // keep the buffer uniquely referenced while we append

        if message.compressed {
            if self.decompressor == nil, let deflate = self.deflate {
                self.decompressor = try? PerMessageDeflateDecompressor(noContextTakeover: deflate.receiveNoContextTakeover)
            }
            guard let decompressor = self.decompressor else { return self.fail(.unexpectedServerError, "cannot create decompressor") }
            var buffer = message.buffer ?? self.allocator.buffer(capacity: Swift.max(chunk.readableBytes * 2, 256))
            let start = buffer.writerIndex
            do {
                try decompressor.inflate(chunk, into: &buffer, limit: self.maxMessageSize)
                if frameEnd && header.fin {
                    try decompressor.finishMessage(into: &buffer, limit: self.maxMessageSize)
                }
            } catch .tooLarge {
                return self.fail(.messageTooLarge, "message larger than \(self.maxMessageSize) bytes")
            } catch {
                return self.fail(.dataInconsistentWithMessage, "invalid compressed data")
            }
            if message.kind == .text, !self.validateText(buffer, from: start) {
                return self.fail(.dataInconsistentWithMessage, "invalid UTF-8 in text message")
            }
            message.size = buffer.readableBytes
            message.buffer = buffer
        } else {
            if message.kind == .text, !self.validateText(chunk, from: chunk.readerIndex) {
                return self.fail(.dataInconsistentWithMessage, "invalid UTF-8 in text message")
            }
            if message.buffer == nil && header.fin && frameEnd && chunk.readableBytes == header.length {
                // Whole message in one chunk: hand the slice over without copying.
                message.buffer = chunk
            } else {
                var chunk = chunk
                if message.buffer == nil {
                    message.buffer = self.allocator.buffer(capacity: header.fin ? header.length : Swift.max(header.length, 1024))
                }
                message.buffer!.writeBuffer(&chunk)
            }
            message.size = message.buffer!.readableBytes
        }

        guard frameEnd && header.fin else {
            self.message = message
            return .none
        }
        if message.kind == .text && !self.validator.isComplete {
            return self.fail(.dataInconsistentWithMessage, "text message ends inside a UTF-8 sequence")
        }
        return .message(message.buffer ?? ByteBuffer(), message.kind)
    }

    private mutating func validateText(_ buffer: ByteBuffer, from index: Int) -> Bool {
        let length = buffer.writerIndex - index
        guard length > 0 else { return true }
        return buffer.withUnsafeReadableBytes { raw in
            let offset = index - buffer.readerIndex
            return self.validator.validate(UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + length)]))
        }
    }
}
