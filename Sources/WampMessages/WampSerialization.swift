/// The three WAMP serializers (spec "Serializers"). The raw value is the RawSocket serializer
/// id (spec "RawSocket Transport": 1 JSON, 2 MessagePack, 3 CBOR).
///
/// Routing code never branches on this except to pick an encoding per receiver: messages are
/// typed values and payloads are opaque bytes tagged with the serialization they are in.
public enum WampSerialization: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case json = 1
    case msgpack = 2
    case cbor = 3

    /// The WebSocket subprotocol that selects this serializer.
    public var subprotocol: String {
        switch self {
        case .json: "wamp.2.json"
        case .msgpack: "wamp.2.msgpack"
        case .cbor: "wamp.2.cbor"
        }
    }

    public init?(subprotocol: String) {
        switch subprotocol {
        case "wamp.2.json": self = .json
        case "wamp.2.msgpack": self = .msgpack
        case "wamp.2.cbor": self = .cbor
        default: return nil
        }
    }

    /// The name the Crossbar configuration format uses in `serializers` lists.
    public var configName: String {
        switch self {
        case .json: "json"
        case .msgpack: "msgpack"
        case .cbor: "cbor"
        }
    }

    public init?(configName: String) {
        guard let found = Self.allCases.first(where: { $0.configName == configName }) else { return nil }
        self = found
    }

    /// JSON goes in WebSocket text frames; the other two are binary.
    public var isBinary: Bool { self != .json }

    /// 0, 1, 2: a slot in the small per-serialization caches (one encoding per serializer).
    public var index: Int { Int(rawValue) - 1 }

    public var description: String { configName }
}
