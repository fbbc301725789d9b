import XCTest
import Realm
import WampMessages

/// Shared helpers for the broker's Advanced Profile tests.
class BrokerTestCase: XCTestCase {
    var realm: Realm!
    var broker: Broker { realm.broker }

    override func setUp() {
        realm = Realm(name: "realm1")
    }

    func join(_ id: WampID, authid: String? = nil, authrole: String = "anonymous", roles: String? = nil) -> (RealmSession, FakePeer) {
        let peer = FakePeer()
        let session = RealmSession(id: id, peer: peer, authid: authid ?? "peer-\(id)", authrole: authrole,
                                   roles: roles.flatMap(JSONValue.parse))
        realm.join(session)
        return (session, peer)
    }

    @discardableResult
    func subscribe(_ session: RealmSession, _ peer: FakePeer, _ topic: String, _ opts: String = "{}",
                   request: WampID = 1, file: StaticString = #filePath, line: UInt = #line) -> WampID? {
        peer.clear()
        broker.subscribe(Subscribe(request: request, options: options(opts), topic: topic), from: session)
        guard case .subscribed(let subscribed)? = peer.messages.first else {
            XCTFail("not subscribed: \(peer.texts)", file: file, line: line)
            return nil
        }
        return subscribed.subscription
    }

    @discardableResult
    func publish(_ session: RealmSession, _ topic: String, _ opts: String = "{}", args: String? = nil, request: WampID = 1) -> String? {
        broker.publish(Publish(request: request, options: options(opts), topic: topic,
                               payload: Payload(arguments: args.flatMap { RawJSON($0) })), from: session)
    }

    func events(_ peer: FakePeer) -> [Event] {
        peer.messages.compactMap { if case .event(let event) = $0 { return event } else { return nil } }
    }

    /// Details as key -> compact JSON text of the value.
    func keys(_ details: JSONValue) -> [String: String] {
        var result: [String: String] = [:]
        for key in details.keys { result[key] = details.value(key)!.jsonText }
        return result
    }
}
