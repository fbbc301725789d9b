import NIOWebSocket

/// The header of one WebSocket frame (RFC 6455 section 5.2) as read off the wire.
public struct WebSocketFrameHeader: Sendable, Equatable {
    public var fin: Bool
    public var rsv1: Bool
    public var rsv2: Bool
    public var rsv3: Bool
    /// Raw 4-bit opcode (unknown values are kept so that they can be rejected with 1002).
    public var opcode: UInt8
    public var maskKey: WebSocketMaskingKey?
    public var length: Int

    public var isControl: Bool { self.opcode & 0x08 != 0 }

    public init(fin: Bool, rsv1: Bool = false, rsv2: Bool = false, rsv3: Bool = false, opcode: UInt8, maskKey: WebSocketMaskingKey?, length: Int) {
        self.fin = fin
        self.rsv1 = rsv1
        self.rsv2 = rsv2
        self.rsv3 = rsv3
        self.opcode = opcode
        self.maskKey = maskKey
        self.length = length
    }
}
