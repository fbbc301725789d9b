import Cluster
import Realm
import WampMessages
import XCTest

/// A meta procedure's answer in a test: RESULT or ERROR.
enum MetaAnswer {
    case result(Result)
    case error(ErrorMessage)

    var arguments: String? {
        if case .result(let result) = self { return result.payload.arguments?.description }
        return nil
    }

    var kwargs: JSONValue? {
        switch self {
        case .result(let result): result.payload.argumentsKw?.parsed()
        case .error(let error): error.payload.argumentsKw?.parsed()
        }
    }

    var error: String? {
        if case .error(let error) = self { return error.error }
        return nil
    }
}

extension TestNode {
    /// Calls a meta procedure from `session` and waits (up to 10 s) for its answer.
    func meta(_ session: RealmSession, _ peer: RecordingPeer, _ procedure: String, args: String = "[]", kwargs: String? = nil,
              file: StaticString = #filePath, line: UInt = #line) async throws -> MetaAnswer {
        let request = WampID.random(in: 1...1_000_000_000)
        try realm.call(Call(request: request, options: .emptyObject, procedure: procedure,
                            payload: Payload(arguments: RawJSON(args)!, argumentsKw: kwargs.flatMap { RawJSON($0) })),
                       from: session)
        for _ in 0..<1000 {
            for message in peer.messages {
                if case .result(let result) = message, result.request == request { return .result(result) }
                if case .error(let error) = message, error.request == request { return .error(error) }
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        XCTFail("no answer to \(procedure)", file: file, line: line)
        throw CancellationError()
    }

    /// REGISTER and wait for REGISTERED; the registration ID.
    func register(_ session: RealmSession, _ peer: RecordingPeer, _ procedure: String, options: String = "{}",
                  file: StaticString = #filePath, line: UInt = #line) async throws -> WampID {
        let request = WampID.random(in: 1...1_000_000_000)
        realm.dealer.register(Register(request: request, options: JSONValue.parse(options)!, procedure: procedure), from: session)
        let found = await peer.wait("REGISTERED", { $0.registered.filter { $0.request == request } }, file: file, line: line)
        return try XCTUnwrap(found.first?.registration, file: file, line: line)
    }

    var sessionQueries: ClusterSessionQueries { realm.sessionCluster as! ClusterSessionQueries }

    /// A session on this node subscribed to `on_unregister` and `on_delete` of registrations.
    func subscribeToRegistrationRemovals() async throws -> RegistrationRemovalSubscriber {
        let (session, peer) = join()
        let unregister = try await subscribe(session, peer, "wamp.registration.on_unregister")
        let delete = try await subscribe(session, peer, "wamp.registration.on_delete")
        return RegistrationRemovalSubscriber(peer: peer, unregister: unregister, delete: delete)
    }
}

struct RegistrationRemovalSubscriber {
    let peer: RecordingPeer
    let unregister: WampID
    let delete: WampID
}

/// The events one peer got on `topic` (a pattern subscription's details name it; an exact one's
/// topic is the caller's).
func events(_ peer: RecordingPeer, subscription: WampID) -> [String] {
    peer.events.filter { $0.subscription == subscription }.map { $0.payload.arguments?.description ?? "-" }
}
