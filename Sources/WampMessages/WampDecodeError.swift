/// Why a received message (JSON text, MessagePack or CBOR bytes) is not a well-formed WAMP message. `description` is written for the peer:
/// the router puts it in ABORT `Details.message`.
public struct WampDecodeError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case invalidJSON
        case notAnArray
        case emptyArray
        case invalidMessageCode
        case unknownMessageCode
        case wrongArity
        case wrongFieldType
        case idOutOfRange
        /// The dicts and lists outside the payload are larger than `MessageDecoder.Limits` allows.
        case optionsTooLarge
        /// Not well-formed MessagePack (truncated, reserved type, invalid UTF-8, too deep...).
        case invalidMessagePack
        /// Not well-formed CBOR (truncated, reserved additional info, invalid UTF-8, too deep...).
        case invalidCBOR
    }

    public var kind: Kind
    public var description: String

    public init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }
}
