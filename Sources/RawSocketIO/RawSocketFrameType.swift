/// The `TTT` bits of a frame header. 3-7 are reserved.
public enum RawSocketFrameType: UInt8, Sendable {
    case message = 0
    case ping = 1
    case pong = 2
}
