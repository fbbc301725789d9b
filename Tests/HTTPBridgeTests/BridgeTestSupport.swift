import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Realm
import RouterConfig
import Synchronization
import WampMessages
import WebSocketIO
import XCTest

@testable import HTTPBridge

/// A realm peer that records what the realm sends it, and may answer (from another task, not
/// from inside the realm's send).
final class RecordingPeer: Peer {
    private let received = Mutex<[WampMessage]>([])
    private let onMessage: (@Sendable (WampMessage) -> Void)?

    init(onMessage: (@Sendable (WampMessage) -> Void)? = nil) {
        self.onMessage = onMessage
    }

    var messages: [WampMessage] { received.withLock { $0 } }

    func send(_ message: EncodedMessage) {
        guard let decoded = try? MessageDecoder.decode(message.bytes) else { return XCTFail("undecodable message") }
        received.withLock { $0.append(decoded) }
        onMessage?(decoded)
    }

    func kill(reason: String, message: String?) {}
}

/// One realm with a role `bridge` allowed to publish and call under `com.example.`, a bridge
/// service on it, and helpers to post to it.
final class BridgeFixture {
    static let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    let realm: Realm
    let service: HTTPBridgeService
    let clock: ClockBox

    init(role: HTTPBridgeService.Role, options: HTTPBridgeOptions? = nil, roles: [String: RoleDefinition]? = BridgeFixture.roles,
         now: Int64 = 1_318_611_591_123) {
        realm = Realm(name: "realm1", roles: roles)
        let clock = ClockBox(now)
        self.clock = clock
        let options = options ?? HTTPBridgeOptions(realm: "realm1", role: "bridge")
        let spec = WebServiceSpec(path: role == .publisher ? "/publish" : "/call",
                                  kind: role == .publisher ? .publisher(options) : .caller(options))
        service = HTTPBridgeService(spec: spec, realm: realm, sessionID: 9_000, eventLoops: Self.group, logger: Logger(label: "test"),
                                    clock: { clock.now })!
    }

    static let roles: [String: RoleDefinition] = [
        "bridge": .permissions([Permission(uri: "com.example.", match: .prefix, allow: [.publish, .call])]),
        "app": .permissions([Permission(uri: "", match: .prefix, allow: [.publish, .call, .register, .subscribe])]),
    ]

    /// A session of role `app` joined to the realm.
    func join(_ peer: RecordingPeer, id: WampID, roles: String? = nil) -> RealmSession {
        let session = RealmSession(id: id, peer: peer, authid: "app\(id)", authrole: "app", roles: roles.flatMap(JSONValue.parse))
        realm.join(session)
        return session
    }

    func post(_ body: String, query: String = "", method: HTTPMethod = .POST, remote: String = "127.0.0.1",
              secure: Bool = false) throws -> (status: HTTPResponseStatus, json: JSONValue?, text: String) {
        Self.decode(try postAsync(body, query: query, method: method, remote: remote, secure: secure).wait())
    }

    /// The answer to come, for a request that waits (a silent callee, a shutdown).
    func postAsync(_ body: String, query: String = "", method: HTTPMethod = .POST, remote: String = "127.0.0.1",
                   secure: Bool = false) throws -> EventLoopFuture<HTTPServiceResponse> {
        let path = service.path
        let head = HTTPRequestHead(version: .http1_1, method: method, uri: path + (query.isEmpty ? "" : "?\(query)"))
        let request = HTTPServiceRequest(head: head, path: path, body: ByteBuffer(string: body),
                                         remoteAddress: try SocketAddress(ipAddress: remote, port: 40_000), isSecure: secure,
                                         eventLoop: Self.group.next())
        return service.respond(to: request)
    }

    static func decode(_ response: HTTPServiceResponse) -> (status: HTTPResponseStatus, json: JSONValue?, text: String) {
        let text = String(buffer: response.body)
        XCTAssertEqual(response.headers.first(name: "Content-Type"), "application/json; charset=utf-8")
        return (response.status, JSONValue.parse(text), text)
    }
}

/// The fixture's adjustable clock (Unix milliseconds), as the service reads it.
final class ClockBox: Sendable {
    private let value: Mutex<Int64>
    init(_ now: Int64) { value = Mutex(now) }
    var now: Int64 {
        get { value.withLock { $0 } }
        set { value.withLock { $0 = newValue } }
    }
}
