import NIOCore
import NIOHTTP1
import Realm
import RouterConfig
import WampMessages
import WebSocketIO
import XCTest

@testable import HTTPBridge

final class HTTPBridgeServiceTests: XCTestCase {
    // MARK: Publisher

    func testPublishReachesASubscriberAndAnswersThePublicationID() throws {
        let fixture = BridgeFixture(role: .publisher)
        let subscriber = RecordingPeer()
        let session = fixture.join(subscriber, id: 100)
        fixture.realm.broker.subscribe(Subscribe(request: 1, options: .emptyObject, topic: "com.example.news"), from: session)
        let answer = try fixture.post(#"{"topic": "com.example.news", "args": ["hi", 2], "kwargs": {"k": true}}"#)
        XCTAssertEqual(answer.status, .ok, answer.text)
        let publication = try XCTUnwrap(answer.json?.integer("id"), answer.text)
        let events = subscriber.messages.compactMap { message -> Event? in
            if case .event(let event) = message { return event }
            return nil
        }
        XCTAssertEqual(events.count, 1)
        XCTAssertEqual(events.first.map { Int64($0.publication) }, publication)
        XCTAssertEqual(events.first?.payload.arguments?.description, #"["hi",2]"#)
        XCTAssertEqual(events.first?.payload.argumentsKw?.description, #"{"k":true}"#)
    }

    func testPublishHonorsExclusionOptions() throws {
        let fixture = BridgeFixture(role: .publisher)
        let first = RecordingPeer(), second = RecordingPeer()
        for (peer, id) in [(first, WampID(100)), (second, WampID(101))] {
            fixture.realm.broker.subscribe(Subscribe(request: 1, options: .emptyObject, topic: "com.example.t"), from: fixture.join(peer, id: id))
        }
        let answer = try fixture.post(#"{"topic": "com.example.t", "options": {"exclude": [100]}}"#)
        XCTAssertEqual(answer.status, .ok, answer.text)
        func events(_ peer: RecordingPeer) -> Int { peer.messages.filter { if case .event = $0 { return true }; return false }.count }
        XCTAssertEqual(events(first), 0)
        XCTAssertEqual(events(second), 1)
    }

    func testPublishOutsideTheRoleIsForbidden() throws {
        let fixture = BridgeFixture(role: .publisher)
        let answer = try fixture.post(#"{"topic": "org.other.topic"}"#)
        XCTAssertEqual(answer.status, .forbidden, answer.text)
        XCTAssertEqual(answer.json?.string("error"), "wamp.error.not_authorized")
        XCTAssertTrue(answer.json?.string("message")?.contains("authrole 'bridge'") == true, answer.text)
        XCTAssertEqual(answer.json?.value("args")?.element(0)?.stringValue, answer.json?.string("message"))
    }

    func testPublishToAnInvalidURIIsBadRequest() throws {
        let fixture = BridgeFixture(role: .publisher, roles: nil)
        let answer = try fixture.post(#"{"topic": "com..bad"}"#)
        XCTAssertEqual(answer.status, .badRequest, answer.text)
        XCTAssertEqual(answer.json?.string("error"), "wamp.error.invalid_uri")
    }

    func testBadBodiesAndMethods() throws {
        let fixture = BridgeFixture(role: .publisher)
        let cases: [(String, HTTPResponseStatus, String)] = [
            ("not json", .badRequest, "not JSON"),
            ("", .badRequest, "empty"),
            ("[1]", .badRequest, "not a JSON object"),
            (#"{"args": []}"#, .badRequest, "no 'topic'"),
            (#"{"topic": 5}"#, .badRequest, "'topic' must be a string"),
            (#"{"topic": "com.example.a", "args": {}}"#, .badRequest, "'args' must be a list"),
            (#"{"topic": "com.example.a", "kwargs": []}"#, .badRequest, "'kwargs' must be a dictionary"),
            (#"{"topic": "com.example.a", "options": 3}"#, .badRequest, "'options' must be a dictionary"),
        ]
        for (body, status, message) in cases {
            let answer = try fixture.post(body)
            XCTAssertEqual(answer.status, status, body)
            XCTAssertTrue(answer.json?.string("message")?.contains(message) == true, "\(body): \(answer.text)")
            XCTAssertNotNil(answer.json?.string("error"), body)
        }
        let get = try fixture.post("", method: .GET)
        XCTAssertEqual(get.status, .methodNotAllowed)
        XCTAssertEqual(get.json?.string("error"), "router.error.method_not_allowed")
        let invalidUTF8 = HTTPServiceRequest(
            head: HTTPRequestHead(version: .http1_1, method: .POST, uri: "/publish"), path: "/publish",
            body: ByteBuffer(bytes: [0x7B, 0xFF, 0x7D]), remoteAddress: SocketAddress?.none, isSecure: false, eventLoop: BridgeFixture.group.next())
        XCTAssertEqual(try fixture.service.respond(to: invalidUTF8).wait().status, .badRequest)
    }

    func testBodyTooLargeIsAJSONAnswer() {
        let fixture = BridgeFixture(role: .publisher, options: HTTPBridgeOptions(realm: "realm1", role: "bridge", postBodyLimit: 64))
        let head = HTTPRequestHead(version: .http1_1, method: .POST, uri: "/publish")
        XCTAssertEqual(fixture.service.maxBodyBytes(for: head, path: "/publish"), 64)
        let answer = fixture.service.bodyTooLargeResponse(for: head, path: "/publish", limit: 64)
        XCTAssertEqual(answer.status, .payloadTooLarge)
        XCTAssertEqual(JSONValue.parse(String(buffer: answer.body))?.string("error"), "router.error.payload_too_large")
    }

    func testBridgeSessionIsJoinedWithItsRole() {
        let fixture = BridgeFixture(role: .publisher)
        let session = fixture.realm.session(fixture.service.sessionID)
        XCTAssertEqual(session?.authrole, "bridge")
        XCTAssertEqual(session?.authid, "http-bridge")
    }

    func testDynamicAuthorizerDecidesForTheBridge() throws {
        // The bridge's role asks com.example.authorize, which allows topics under com.example.ok.
        let fixture = BridgeFixture(role: .publisher, roles: [
            "bridge": .authorizer(procedure: "com.example.authorize"),
            "app": .permissions([Permission(uri: "", match: .prefix, allow: [.publish, .call, .register, .subscribe])]),
        ])
        let realm = fixture.realm
        let holder = SessionHolder()
        let authorizer = RecordingPeer { message in
            guard case .invocation(let invocation) = message, let session = holder.session else { return }
            let uri = invocation.payload.arguments?.parsed()?.element(1)?.stringValue ?? ""
            Task {
                _ = try? realm.dealer.yield(Yield(request: invocation.request, options: .emptyObject,
                                                  payload: Payload(arguments: RawJSON("[\(uri.hasPrefix("com.example.ok"))]"))), from: session)
            }
        }
        let session = fixture.join(authorizer, id: 300)
        holder.session = session
        realm.dealer.register(Register(request: 1, options: .emptyObject, procedure: "com.example.authorize"), from: session)
        XCTAssertEqual(try fixture.post(#"{"topic": "com.example.ok.news"}"#).status, .ok)
        let denied = try fixture.post(#"{"topic": "com.example.other"}"#)
        XCTAssertEqual(denied.status, .forbidden, denied.text)
        XCTAssertEqual(denied.json?.string("error"), "wamp.error.not_authorized")
        let invocations = authorizer.messages.filter { if case .invocation = $0 { return true }; return false }
        XCTAssertEqual(invocations.count, 2, "each request asked the authorizer")
    }

    // MARK: Caller

    /// A callee of `com.example.add` (sums its positional arguments) and `com.example.fail`
    /// (answers ERROR `com.example.oops`), and `com.example.silent`, which never answers.
    private func callee(_ fixture: BridgeFixture) -> RealmSession {
        let realm = fixture.realm
        let holder = SessionHolder()
        let peer = RecordingPeer { message in
            guard case .invocation(let invocation) = message, let session = holder.session else { return }
            let procedure = holder.procedures[invocation.registration]
            Task {
                switch procedure {
                case "com.example.add":
                    let numbers = invocation.payload.arguments?.parsed()?.integerArray ?? []
                    let total = numbers.reduce(0, +)
                    _ = try? realm.dealer.yield(Yield(request: invocation.request, options: .emptyObject,
                                                      payload: Payload(arguments: RawJSON("[\(total)]"), argumentsKw: RawJSON(#"{"n":\#(numbers.count)}"#))),
                                                from: session)
                case "com.example.fail":
                    _ = realm.dealer.invocationError(ErrorMessage(requestType: .invocation, request: invocation.request, details: .emptyObject,
                                                                  error: "com.example.oops", payload: Payload(arguments: RawJSON(#"["bad input"]"#))),
                                                     from: session)
                default:
                    break
                }
            }
        }
        let session = fixture.join(peer, id: 200, roles: #"{"callee": {"features": {"call_canceling": true}}}"#)
        holder.session = session
        for (index, procedure) in ["com.example.add", "com.example.fail", "com.example.silent"].enumerated() {
            realm.dealer.register(Register(request: WampID(index + 1), options: .emptyObject, procedure: procedure), from: session)
        }
        for message in peer.messages {
            if case .registered(let registered) = message {
                holder.procedures[registered.registration] = ["com.example.add", "com.example.fail", "com.example.silent"][Int(registered.request) - 1]
            }
        }
        return session
    }

    func testCallReturnsTheResult() throws {
        let fixture = BridgeFixture(role: .caller)
        _ = callee(fixture)
        let answer = try fixture.post(#"{"procedure": "com.example.add", "args": [2, 3, 4]}"#)
        XCTAssertEqual(answer.status, .ok, answer.text)
        XCTAssertEqual(answer.text, #"{"args":[9],"kwargs":{"n":3}}"#)
        XCTAssertEqual(fixture.service.pendingCount, 0)
    }

    func testCallErrorsMapToStatuses() throws {
        let fixture = BridgeFixture(role: .caller)
        _ = callee(fixture)
        let failed = try fixture.post(#"{"procedure": "com.example.fail"}"#)
        XCTAssertEqual(failed.status, .badGateway, failed.text)
        XCTAssertEqual(failed.json?.string("error"), "com.example.oops")
        XCTAssertEqual(failed.json?.value("args")?.jsonText, #"["bad input"]"#)
        XCTAssertEqual(failed.json?.value("kwargs")?.jsonText, "{}")
        let missing = try fixture.post(#"{"procedure": "com.example.nobody"}"#)
        XCTAssertEqual(missing.status, .notFound, missing.text)
        XCTAssertEqual(missing.json?.string("error"), "wamp.error.no_such_procedure")
        let forbidden = try fixture.post(#"{"procedure": "org.other.proc"}"#)
        XCTAssertEqual(forbidden.status, .forbidden, forbidden.text)
        XCTAssertEqual(forbidden.json?.string("error"), "wamp.error.not_authorized")
        let invalid = try fixture.post(#"{"procedure": "com.example..x"}"#)
        XCTAssertEqual(invalid.status, .badRequest, invalid.text)
        XCTAssertEqual(invalid.json?.string("error"), "wamp.error.invalid_uri")
        let noProcedure = try fixture.post(#"{"topic": "com.example.add"}"#)
        XCTAssertEqual(noProcedure.status, .badRequest)
    }

    func testCallTimeoutAnswers504AndCancelsTheCall() throws {
        let fixture = BridgeFixture(role: .caller, options: HTTPBridgeOptions(realm: "realm1", role: "bridge", callTimeoutSeconds: 0.05))
        let callee = callee(fixture)
        let answer = try fixture.post(#"{"procedure": "com.example.silent"}"#)
        XCTAssertEqual(answer.status, .gatewayTimeout, answer.text)
        XCTAssertEqual(answer.json?.string("error"), "wamp.error.timeout")
        XCTAssertEqual(fixture.service.pendingCount, 0)
        // The callee announced call canceling: it is interrupted, and the dealer holds nothing.
        let interrupted = (callee.peer as! RecordingPeer).messages.contains { if case .interrupt = $0 { return true }; return false }
        XCTAssertTrue(interrupted)
        XCTAssertEqual(fixture.realm.dealer.pendingCallCount, 0)
    }

    // MARK: Shutdown

    func testDrainRefusesNewRequestsAndCloseAnswersTheWaitingOnes503ThenLeaves() throws {
        let fixture = BridgeFixture(role: .caller)
        _ = callee(fixture)
        let waiting = try fixture.postAsync(#"{"procedure": "com.example.silent"}"#)
        XCTAssertEqual(fixture.service.pendingCount, 1)
        fixture.service.beginDrain()
        let refused = try fixture.post(#"{"procedure": "com.example.add", "args": [1]}"#)
        XCTAssertEqual(refused.status, .serviceUnavailable, refused.text)
        XCTAssertEqual(refused.json?.string("error"), "wamp.close.system_shutdown")
        XCTAssertEqual(fixture.service.pendingCount, 1, "a waiting call may still be answered while draining")

        fixture.service.close()
        let answer = BridgeFixture.decode(try waiting.wait())
        XCTAssertEqual(answer.status, .serviceUnavailable, answer.text)
        XCTAssertEqual(answer.json?.string("error"), "wamp.close.system_shutdown")
        XCTAssertEqual(fixture.service.pendingCount, 0)
        XCTAssertNil(fixture.realm.session(fixture.service.sessionID), "the bridge session left the realm")
        XCTAssertEqual(fixture.realm.dealer.pendingCallCount, 0, "its call at the callee is settled")
        fixture.service.close()  // a second close changes nothing
    }

    func testWhileDrainingACallCanceledByItsCalleeLeavingIs503() throws {
        let fixture = BridgeFixture(role: .caller)
        let calleeSession = callee(fixture)
        let waiting = try fixture.postAsync(#"{"procedure": "com.example.silent"}"#)
        fixture.service.beginDrain()
        fixture.realm.leave(calleeSession)
        let answer = BridgeFixture.decode(try waiting.wait())
        XCTAssertEqual(answer.status, .serviceUnavailable, answer.text)
        XCTAssertEqual(answer.json?.string("error"), "wamp.close.system_shutdown")
    }

    func testOutsideADrainACallCanceledByItsCalleeLeavingIs502() throws {
        let fixture = BridgeFixture(role: .caller)
        let calleeSession = callee(fixture)
        let waiting = try fixture.postAsync(#"{"procedure": "com.example.silent"}"#)
        fixture.realm.leave(calleeSession)
        let answer = BridgeFixture.decode(try waiting.wait())
        XCTAssertEqual(answer.status, .badGateway, answer.text)
        XCTAssertEqual(answer.json?.string("error"), "wamp.error.canceled")
    }

    // MARK: Signing, addresses, TLS

    private func signedFixture() -> BridgeFixture {
        BridgeFixture(role: .publisher, options: HTTPBridgeOptions(realm: "realm1", role: "bridge",
                                                                  signing: .init(key: "foobar", secret: "kkjH68GiuUZ")))
    }

    private func signedQuery(_ body: String, seq: Int, timestamp: String = "2011-10-14T16:59:51.123Z", secret: String = "kkjH68GiuUZ") -> String {
        let signature = RequestSignature.signature(key: "foobar", timestamp: timestamp, seq: "\(seq)", nonce: "77",
                                                   body: Array(body.utf8), secret: secret)
        return "key=foobar&timestamp=\(timestamp)&seq=\(seq)&nonce=77&signature=\(signature)"
    }

    func testSignedRequestsAcceptedOnceAndBadOnesRefused() throws {
        let fixture = signedFixture()
        let body = #"{"topic": "com.example.signed"}"#
        XCTAssertEqual(try fixture.post(body, query: signedQuery(body, seq: 1)).status, .ok)
        let replay = try fixture.post(body, query: signedQuery(body, seq: 1))
        XCTAssertEqual(replay.status, .unauthorized, replay.text)
        XCTAssertTrue(replay.json?.string("message")?.contains("replay") == true, replay.text)
        XCTAssertEqual(try fixture.post(body, query: signedQuery(body, seq: 2)).status, .ok)
        XCTAssertEqual(try fixture.post(body, query: signedQuery(body, seq: 3, secret: "wrong")).status, .unauthorized)
        XCTAssertEqual(try fixture.post(body + " ", query: signedQuery(body, seq: 4)).status, .unauthorized)
        XCTAssertEqual(try fixture.post(body).status, .badRequest)
        fixture.clock.now += 301_000
        let stale = try fixture.post(body, query: signedQuery(body, seq: 5))
        XCTAssertEqual(stale.status, .unauthorized, stale.text)
        XCTAssertEqual(stale.json?.string("error"), "router.error.invalid_signature")
    }

    func testReplayMemoryLimitBoundsTheRememberedSignatures() throws {
        var options = HTTPBridgeOptions(realm: "realm1", role: "bridge", signing: .init(key: "foobar", secret: "kkjH68GiuUZ"))
        options.replayMemoryLimit = 2
        let fixture = BridgeFixture(role: .publisher, options: options)
        let body = #"{"topic": "com.example.signed"}"#
        XCTAssertEqual(try fixture.post(body, query: signedQuery(body, seq: 1)).status, .ok)
        XCTAssertEqual(try fixture.post(body, query: signedQuery(body, seq: 2)).status, .ok)
        let full = try fixture.post(body, query: signedQuery(body, seq: 3))
        XCTAssertEqual(full.status, .serviceUnavailable, full.text)
        XCTAssertEqual(full.json?.string("error"), "router.error.limit_exceeded")
        XCTAssertTrue(full.text.contains("replay_memory_limit"), full.text)
        // Once the first two leave the timestamp window they are forgotten, and room is back.
        fixture.clock.now += 301_000
        let later = "2011-10-14T17:04:52.123Z"
        XCTAssertEqual(try fixture.post(body, query: signedQuery(body, seq: 4, timestamp: later)).status, .ok)
    }

    func testVectorRequestIsAccepted() throws {
        // The vector's topic is com.myapp.topic1: a realm without roles (everything allowed).
        let fixture = BridgeFixture(role: .publisher, options: HTTPBridgeOptions(realm: "realm1", role: "bridge",
                                                                                signing: .init(key: "foobar", secret: "kkjH68GiuUZ")), roles: nil)
        let query = "key=foobar&timestamp=2011-10-14T16%3A59%3A51.123Z&seq=1&nonce=123456&signature=\(RequestSignatureTests.vector)"
        XCTAssertEqual(try fixture.post(RequestSignatureTests.body, query: query).status, .ok)
    }

    func testRequireIPAndTLS() throws {
        let fixture = BridgeFixture(role: .publisher, options: HTTPBridgeOptions(realm: "realm1", role: "bridge", requireIP: ["127.0.0.0/8", "::1"]))
        let body = #"{"topic": "com.example.t"}"#
        XCTAssertEqual(try fixture.post(body, remote: "127.0.0.9").status, .ok)
        XCTAssertEqual(try fixture.post(body, remote: "::1").status, .ok)
        let refused = try fixture.post(body, remote: "10.1.2.3")
        XCTAssertEqual(refused.status, .forbidden, refused.text)
        XCTAssertTrue(refused.json?.string("message")?.contains("10.1.2.3") == true, refused.text)
        var options = HTTPBridgeOptions(realm: "realm1", role: "bridge")
        options.requireTLS = true
        let tls = BridgeFixture(role: .publisher, options: options)
        XCTAssertEqual(try tls.post(body).status, .forbidden)
        XCTAssertEqual(try tls.post(body, secure: true).status, .ok)
    }
}

/// The callee's session and registrations, filled in after it is made.
private final class SessionHolder: @unchecked Sendable {
    var session: RealmSession?
    var procedures: [WampID: String] = [:]
}
