/// Negotiated permessage-deflate (RFC 7692) parameters, seen from one endpoint.
///
/// "send" is the direction this endpoint compresses (server_* parameters on a server,
/// client_* parameters on a client), "receive" the direction it decompresses.
public struct PerMessageDeflateConfiguration: Sendable, Equatable {
    /// LZ77 window bits the peer allows us to use when compressing (8...15).
    public var sendMaxWindowBits: Int
    /// Reset the compressor after every message.
    public var sendNoContextTakeover: Bool
    /// Window bits the peer compresses with (8...15); we always inflate with a 15-bit window,
    /// which can decode any smaller window.
    public var receiveMaxWindowBits: Int
    /// The peer resets its compressor after every message (we then reset our decompressor too).
    public var receiveNoContextTakeover: Bool

    public init(
        sendMaxWindowBits: Int = 15,
        sendNoContextTakeover: Bool = false,
        receiveMaxWindowBits: Int = 15,
        receiveNoContextTakeover: Bool = false
    ) {
        self.sendMaxWindowBits = sendMaxWindowBits
        self.sendNoContextTakeover = sendNoContextTakeover
        self.receiveMaxWindowBits = receiveMaxWindowBits
        self.receiveNoContextTakeover = receiveNoContextTakeover
    }

    /// zlib cannot produce a raw deflate stream with an 8-bit window (deflateInit2 rejects -8), so
    /// when the peer limits us to 8 bits we accept the offer but send every message uncompressed,
    /// which RFC 7692 allows (RSV1 is per message).
    public var canCompress: Bool { self.sendMaxWindowBits >= 9 }
}
