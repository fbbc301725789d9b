import XCTest
import NIOCore
import Realm
import Synchronization
import WampMessages

/// A peer that records what the realm sends it, decoded back into messages.
final class FakePeer: Peer {
    private let received = Mutex<[EncodedMessage]>([])
    let serialization: WampSerialization
    let maxMessageSize: Int

    init(serialization: WampSerialization = .json, maxMessageSize: Int = .max) {
        self.serialization = serialization
        self.maxMessageSize = maxMessageSize
    }

    private let kills = Mutex<[(reason: String, message: String?)]>([])

    func send(_ message: EncodedMessage) {
        received.withLock { $0.append(message) }
    }

    func kill(reason: String, message: String?) {
        kills.withLock { $0.append((reason, message)) }
    }

    var killReasons: [String] { kills.withLock { $0.map(\.reason) } }
    var killMessages: [String?] { kills.withLock { $0.map(\.message) } }

    var texts: [String] { received.withLock { $0.map(\.description) } }

    var messages: [WampMessage] {
        received.withLock { $0.map { try! $0.serialization.decode($0.bytes) } }
    }

    /// The raw buffers, to check that one publication's EVENT bytes are shared.
    var buffers: [ByteBuffer] { received.withLock { $0.map(\.bytes) } }

    /// The transport caches the messages carried (shared by all subscribers of one EVENT).
    var transportCaches: [TransportEncodingCache?] { received.withLock { $0.map(\.transportCache) } }

    func clear() { received.withLock { $0.removeAll() } }

    var last: WampMessage? { messages.last }
}

extension RealmSession {
    static func make(_ id: WampID, authid: String? = nil, serialization: WampSerialization = .json,
                     maxMessageSize: Int = .max) -> (RealmSession, FakePeer) {
        let peer = FakePeer(serialization: serialization, maxMessageSize: maxMessageSize)
        return (RealmSession(id: id, peer: peer, authid: authid ?? "peer-\(id)"), peer)
    }
}

extension Realm {
    /// Joins a new session whose peer records what it is sent.
    func joinFake(_ id: WampID, serialization: WampSerialization = .json, maxMessageSize: Int = .max) -> (RealmSession, FakePeer) {
        let (session, peer) = RealmSession.make(id, serialization: serialization, maxMessageSize: maxMessageSize)
        join(session)
        return (session, peer)
    }
}

func options(_ text: String = "{}") -> JSONValue { JSONValue.parse(text)! }

extension Realm {
    /// Calls a meta procedure as `session` and returns RESULT's arguments text, or the ERROR URI
    /// prefixed by "!".
    func callMeta(_ session: RealmSession, _ peer: FakePeer, _ procedure: String, _ args: String = "[]",
                  _ kwargs: String? = nil, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        peer.clear()
        try call(Call(request: 1, options: .emptyObject, procedure: procedure,
                      payload: Payload(arguments: RawJSON(args)!, argumentsKw: kwargs.map { RawJSON($0)! })), from: session)
        switch peer.last {
        case .result(let result): return result.payload.arguments?.description ?? ""
        case .error(let error): return "!" + error.error
        default: XCTFail("no answer to \(procedure)", file: file, line: line); return ""
        }
    }
}
