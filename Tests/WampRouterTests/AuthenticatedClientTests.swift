import Logging
import Realm
import RouterConfig
import WampAuth
import WampClient
import WampMessages
import WampRouter
import XCTest

/// `WampClient` with each authentication method against a router configured from a config file
/// text, end to end over loopback: the credentials work, wrong ones are refused with the spec's
/// answer, and the role's permissions decide what the session may do.
final class AuthenticatedClientTests: XCTestCase {
    private var router: WampRouter!
    private static let seedHex = String(repeating: "07", count: 32)

    override func setUp() async throws {
        let publicKey = try XCTUnwrap(WampClient.Credentials.cryptosign(seedHex: Self.seedHex)?.cryptosignPublicKey)
        let text = """
            {"version": 2, "controller": {}, "workers": [{"type": "router",
              "realms": [{"name": "realm1", "roles": [
                {"name": "user", "permissions": [
                  {"uri": "com.example.", "match": "prefix",
                   "allow": {"call": true, "register": true, "publish": true, "subscribe": true}},
                  {"uri": "com.example.admin", "allow": {"call": false}}]}]}],
              "transports": [{"type": "websocket", "endpoint": {"type": "tcp", "interface": "127.0.0.1", "port": 8080},
                "auth": {
                  "ticket": {"type": "static", "principals": {"tina": {"ticket": "t1cket", "role": "user"}}},
                  "wampcra": {"type": "static", "users": {
                    "carl": {"secret": "s3cret", "role": "user"},
                    "sally": {"secret": "passw0rd", "role": "user", "salt": "salt123", "iterations": 100, "keylen": 32}}},
                  "cryptosign": {"type": "static", "principals": {"cora": {"role": "user", "authorized_keys": ["\(publicKey)"]}}}
                }}]}]}
            """
        let file = try RouterFile.parse(text, json: true, directory: NSTemporaryDirectory())
        var configuration = RouterConfiguration()
        configuration.apply(file, path: "test.json")
        configuration.listeners[0].port = 0
        configuration.eventLoopThreads = 1
        configuration.shutdownGracePeriod = .milliseconds(300)
        configuration.authFailurePolicy = AuthFailureThrottle.Policy(initialDelay: .zero)
        var logger = Logger(label: "test-router")
        logger.logLevel = .warning
        router = try await WampRouter.start(configuration: configuration, logger: logger)
    }

    override func tearDown() async throws {
        await router?.shutdown()
        router = nil
    }

    private func connect(_ credentials: WampClient.Credentials?) async throws -> WampClient {
        try await WampClient.connect(port: router.port, realm: "realm1", credentials: credentials)
    }

    private func assertRefused(_ credentials: WampClient.Credentials?, with uri: String,
                               file: StaticString = #filePath, line: UInt = #line) async {
        do {
            let client = try await connect(credentials)
            client.disconnect()
            XCTFail("joined with \(String(describing: credentials))", file: file, line: line)
        } catch WampClientError.aborted(let reason, _) {
            XCTAssertEqual(reason, uri, file: file, line: line)
        } catch {
            XCTFail("expected ABORT \(uri), got \(error)", file: file, line: line)
        }
    }

    func testEachMethodAuthenticatesAndWelcomeSaysWho() async throws {
        let cases: [(WampClient.Credentials, String, String)] = [
            (.ticket(authid: "tina", ticket: "t1cket"), "tina", "ticket"),
            (.wampcra(authid: "carl", secret: "s3cret"), "carl", "wampcra"),
            (.wampcra(authid: "sally", secret: "passw0rd"), "sally", "wampcra"),
            (try XCTUnwrap(.cryptosign(seedHex: Self.seedHex)), "cora", "cryptosign"),
        ]
        for (credentials, authid, method) in cases {
            let client = try await connect(credentials)
            XCTAssertEqual(client.welcomeDetails.string("authid"), authid)
            XCTAssertEqual(client.welcomeDetails.string("authrole"), "user")
            XCTAssertEqual(client.welcomeDetails.string("authmethod"), method)
            XCTAssertEqual(client.welcomeDetails.string("authprovider"), "static")
            try await client.leave()
            client.disconnect()
        }
    }

    func testWrongCredentialsAndMissingMethodsAreRefused() async throws {
        await assertRefused(.ticket(authid: "tina", ticket: "wrong"), with: ErrorURI.notAuthorized)
        await assertRefused(.ticket(authid: "nobody", ticket: "t1cket"), with: ErrorURI.notAuthorized)
        await assertRefused(.wampcra(authid: "carl", secret: "wrong"), with: ErrorURI.notAuthorized)
        await assertRefused(.wampcra(authid: "sally", secret: "wrong"), with: ErrorURI.notAuthorized)
        await assertRefused(try XCTUnwrap(.cryptosign(seedHex: String(repeating: "08", count: 32))), with: ErrorURI.notAuthorized)
        // The transport offers no anonymous access.
        await assertRefused(nil, with: ErrorURI.noAuthMethod)
    }

    func testThePermissionsOfTheRoleDecide() async throws {
        let callee = try await connect(.ticket(authid: "tina", ticket: "t1cket"))
        let caller = try await connect(.wampcra(authid: "carl", secret: "s3cret"))
        _ = try await callee.register("com.example.echo") { invocation in invocation.payload }
        let result = try await caller.call("com.example.echo", arguments: raw("[1]"))
        XCTAssertEqual(result.payload.arguments?.description, "[1]")
        for (procedure, uri) in [("com.example.admin", ErrorURI.notAuthorized), ("wamp.session.kill_all", ErrorURI.notAuthorized),
                                 ("org.other.thing", ErrorURI.notAuthorized)] {
            do {
                _ = try await caller.call(procedure)
                XCTFail("\(procedure) was allowed")
            } catch WampClientError.error(let error, _, _) {
                XCTAssertEqual(error, uri, procedure)
            }
        }
        // The exact deny applies to its URI only: below it the prefix allows (no such procedure).
        do {
            _ = try await caller.call("com.example.admin.users")
            XCTFail("no callee, yet the call succeeded")
        } catch WampClientError.error(let error, _, _) {
            XCTAssertEqual(error, ErrorURI.noSuchProcedure)
        }
        callee.disconnect()
        caller.disconnect()
    }
}
