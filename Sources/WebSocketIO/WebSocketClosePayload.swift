import NIOCore
import NIOWebSocket

/// Parsing and validation of a Close frame's payload (RFC 6455 section 5.5.1 and 7.4).
public enum WebSocketClosePayload {
    public enum Parsed: Equatable {
        /// Valid: optional code and a UTF-8 reason.
        case valid(code: WebSocketErrorCode?, reason: String)
        /// Invalid: fail the connection with this code.
        case invalid(WebSocketErrorCode, String)
    }

    public static func parse(_ payload: ByteBuffer) -> Parsed {
        var payload = payload
        if payload.readableBytes == 0 { return .valid(code: nil, reason: "") }
        guard let raw = payload.readInteger(as: UInt16.self) else {
            return .invalid(.protocolError, "close frame payload of one byte")
        }
        guard self.isValidReceivedCode(raw) else {
            return .invalid(.protocolError, "invalid close code \(raw)")
        }
        var validator = UTF8Validator()
        let valid = payload.withUnsafeReadableBytes { validator.validate($0) } && validator.isComplete
        guard valid else { return .invalid(.dataInconsistentWithMessage, "close reason is not valid UTF-8") }
        let reason = payload.readString(length: payload.readableBytes) ?? ""
        return .valid(code: WebSocketErrorCode(codeNumber: Int(raw)), reason: reason)
    }

    /// Codes a peer may put on the wire: 1000-1003, 1007-1014 (IANA registry), 3000-4999.
    /// 1004, 1005, 1006 and 1015 are reserved and must never be sent.
    public static func isValidReceivedCode(_ code: UInt16) -> Bool {
        switch code {
        case 1000...1003, 1007...1014, 3000...4999: return true
        default: return false
        }
    }

    /// Numeric value of a NIO error code.
    public static func number(_ code: WebSocketErrorCode) -> UInt16 {
        switch code {
        case .normalClosure: return 1000
        case .goingAway: return 1001
        case .protocolError: return 1002
        case .unacceptableData: return 1003
        case .dataInconsistentWithMessage: return 1007
        case .policyViolation: return 1008
        case .messageTooLarge: return 1009
        case .missingExtension: return 1010
        case .unexpectedServerError: return 1011
        case .unknown(let value): return value
        }
    }

    /// Builds a close payload; the reason is truncated on a character boundary to fit 123 bytes.
    public static func make(code: WebSocketErrorCode?, reason: String, allocator: ByteBufferAllocator) -> ByteBuffer {
        guard let code else { return allocator.buffer(capacity: 0) }
        var buffer = allocator.buffer(capacity: 2 + Swift.min(reason.utf8.count, 123))
        buffer.writeInteger(self.number(code))
        var used = 0
        for scalar in reason.unicodeScalars {
            let size = String(scalar).utf8.count
            if used + size > 123 { break }
            used += size
        }
        buffer.writeString(String(decoding: reason.utf8.prefix(used), as: UTF8.self))
        return buffer
    }
}
