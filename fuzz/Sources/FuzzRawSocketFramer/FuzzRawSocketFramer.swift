import NIOCore
import RawSocketIO

/// libFuzzer entry: what a RawSocket client sends from its first octet, through the router's
/// path (`RawSocketHandshake`, then `RawSocketFrameParser` on what follows), cut into reads at
/// fuzzer-chosen points. The first three bytes choose the setting:
///
/// - byte 0, bits 0-3: the router's LENGTH (its maximum message length 2^(9+LENGTH))
/// - byte 0, bits 4-6: the largest read (1, 2, 3, 4, 7, 64, 4096 bytes, or everything at once)
/// - byte 0, bit 7: the listener is at its connection limit
/// - byte 1: serializers supported (bits 0-2: JSON, MessagePack, CBOR) and, bits 4-7, the
///   minimum client LENGTH
/// - byte 2: seed of the read sizes below that largest read
///
/// Checked besides "no trap, leak or memory error": the handshake answers at most once and
/// never asks for more after 4 octets, replies are 4 octets of the spec's shape, an accept
/// echoes the requested serializer, no frame is longer than the announced maximum, and the
/// parser never leaves a whole frame unread.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRawSocketFramer(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 3 else { return 0 }
    let input = UnsafeBufferPointer(start: data, count: size)
    let routerExponent = input[0] & 0x0F
    let largestRead = [1, 2, 3, 4, 7, 64, 4096, Int.max][Int(input[0] >> 4) & 7]
    let atLimit = input[0] & 0x80 != 0
    let serializers = [UInt8(1), 2, 3].filter { input[1] & (1 << ($0 - 1)) != 0 }
    let minimum = input[1] >> 4
    var reads = ReadSizes(seed: input[2], largest: largestRead)
    let bytes = Array(input[3...])

    var handshake = RawSocketHandshake(supportedSerializers: serializers, routerLengthExponent: routerExponent,
                                       minimumClientLengthExponent: minimum,
                                       refusal: atLimit ? .maximumConnectionCountReached : nil)
    let maxLength = RawSocketLength.maxLength(exponent: routerExponent)
    let parser = RawSocketFrameParser(maxLength: maxLength)
    var pending = ByteBuffer()
    var handshakeOver = false
    var consumed = 0
    var offset = 0
    while offset < bytes.count {
        let count = Swift.min(reads.next(), bytes.count - offset)
        var buffer = ByteBuffer(bytes: bytes[offset..<(offset + count)])
        offset += count
        if !handshakeOver {
            let before = buffer.readableBytes
            let action = handshake.receive(&buffer)
            consumed += before - buffer.readableBytes
            switch action {
            case .needMore:
                if consumed >= 4 { fatalError("handshake asks for more after \(consumed) octets") }
                continue
            case .fail:
                return 0
            case .refuse(let reply, let error):
                if reply != [0x7F, error.rawValue << 4, 0, 0] { fatalError("error reply \(reply)") }
                return 0
            case .accept(let reply, let serializer, let clientMaxLength):
                if consumed != 4 { fatalError("accepted after \(consumed) octets") }
                if reply != [0x7F, routerExponent << 4 | serializer, 0, 0] { fatalError("accept reply \(reply)") }
                if reply[1] & 0x0F != bytes[1] & 0x0F { fatalError("serializer not echoed") }
                if !serializers.contains(serializer) { fatalError("unsupported serializer \(serializer) accepted") }
                if clientMaxLength < 512 || clientMaxLength > 1 << 24 { fatalError("client maximum \(clientMaxLength)") }
                handshakeOver = true
            }
        }
        pending.writeBuffer(&buffer)
        while true {
            let event: RawSocketFrameParser.Event?
            do {
                event = try parser.next(&pending)
            } catch {
                // The connection fails here: nothing more is read.
                return 0
            }
            guard let event else { break }
            switch event {
            case .message(let payload), .ping(let payload), .pong(let payload):
                if payload.readableBytes > maxLength { fatalError("frame of \(payload.readableBytes) over \(maxLength)") }
                // What the router answers a PING with parses back to the same payload.
                var pong = RawSocketFrameWriter.frame(.pong, payload: payload)
                guard case .pong(let echoed)? = try? RawSocketFrameParser(maxLength: maxLength).next(&pong),
                      echoed == payload, pong.readableBytes == 0 else { fatalError("PONG does not round-trip") }
            }
        }
        if let header = pending.getInteger(at: pending.readerIndex, as: UInt32.self) {
            let length = header & 0x0800_0000 != 0 ? 1 << 24 : Int(header & 0x00FF_FFFF)
            if pending.readableBytes >= 4 + length { fatalError("a whole frame left unread") }
        }
    }
    return 0
}

/// Read sizes in 1...largest from an 8-bit seed through a 16-bit xorshift.
private struct ReadSizes {
    var state: UInt16
    let largest: Int

    init(seed: UInt8, largest: Int) {
        self.state = 0xACE1 ^ UInt16(seed)
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
