import WebSocketIO
import WampMessages

/// Where and how the peers connect: a WebSocket URL (`ws://127.0.0.1:8080/`) or a RawSocket
/// address (`tcp://127.0.0.1:8081`, `rs://` also accepted), loopback only.
struct BenchEndpoint: Sendable {
    enum Transport: String, Sendable, CaseIterable {
        case websocket
        case rawsocket
    }

    let transport: Transport
    let host: String
    let port: Int
    /// WebSocket request path.
    let path: String
    /// RawSocket LENGTH sent in the handshake: we accept messages up to 2^(9+LENGTH) octets.
    let rawSocketLengthExponent: UInt8

    init(url: String, transport: String, rawSocketLengthExponent: Int) throws {
        guard let transport = Transport(rawValue: transport) else {
            throw BenchError("--transport must be websocket or rawsocket, not \(transport)")
        }
        guard (0...15).contains(rawSocketLengthExponent) else { throw BenchError("--rawsocket-length must be 0...15") }
        let parsed = try WebSocketURL(url, schemes: transport == .websocket ? ["ws://"] : ["tcp://", "rs://"])
        self.transport = transport
        self.host = parsed.host
        self.port = parsed.port
        self.path = parsed.path
        self.rawSocketLengthExponent = UInt8(rawSocketLengthExponent)
    }

    /// Connects `peer` on its loop; the peer says HELLO once the transport is open.
    func connect(_ peer: WampPeer) async throws {
        switch transport {
        case .websocket:
            _ = try await WebSocketClient.connectBench(url: self, subprotocols: [peer.config.serialization.subprotocol], peer: peer)
        case .rawsocket:
            try await RawSocketBenchHandler.connect(host: host, port: port, loop: peer.loop,
                                                    serializerID: peer.config.serialization.rawValue,
                                                    lengthExponent: rawSocketLengthExponent, delegate: peer)
        }
    }
}

/// `json,msgpack,cbor` -> the serializations, in order.
func parseSerializers(_ text: String, option: String) throws -> [WampSerialization] {
    let names = text.split(separator: ",").map(String.init)
    let list = try names.map { name -> WampSerialization in
        guard let serialization = WampSerialization(configName: name) else {
            throw BenchError("\(option): unknown serializer \(name) (json, msgpack or cbor)")
        }
        return serialization
    }
    guard !list.isEmpty else { throw BenchError("\(option) needs at least one serializer") }
    return list
}
