import XCTest
import WampAuth
@testable import RouterConfig

/// A transport's `auth`: every method, static and dynamic, and every role and realm reference.
final class AuthReaderTests: XCTestCase {
    private static let twoRealms = """
        [{"name": "realm1", "roles": [{"name": "anonymous", "allow-by-default": true}, {"name": "user", "permissions": []},
                                     {"name": "authenticator", "permissions": []}]},
         {"name": "realm2", "roles": [{"name": "admin", "permissions": []}]}]
        """

    private func auth(_ json: String, realms: String = twoRealms, environment: [String: String] = [:],
                      file: StaticString = #filePath, line: UInt = #line) -> TransportAuthConfiguration? {
        parsedFile(nodeConfig(realms: realms, transports: ConfigSamples.transport(auth: json)), environment: environment,
                   file: file, line: line)?.transports.first?.auth
    }

    private func assertAuthProblem(_ json: String, path: String, message: String, realms: String = twoRealms,
                                   file: StaticString = #filePath, line: UInt = #line) {
        assertProblem(nodeConfig(realms: realms, transports: ConfigSamples.transport(auth: json)),
                      path: "workers[0].transports[0].auth." + path, message: message, file: file, line: line)
    }

    func testNoAuthKeyMeansAnonymousOnly() {
        XCTAssertEqual(parsedFile(nodeConfig(realms: Self.twoRealms))?.transports[0].auth, .anonymousOnly)
    }

    func testAnonymousStaticAndItsDefaultRole() {
        XCTAssertEqual(auth("{\"anonymous\": {\"type\": \"static\"}}"), TransportAuthConfiguration(anonymous: .role("anonymous")))
        XCTAssertEqual(auth("{\"anonymous\": {\"type\": \"static\", \"role\": \"user\"}}"), TransportAuthConfiguration(anonymous: .role("user")))
        assertAuthProblem("{\"anonymous\": {\"type\": \"static\", \"role\": \"guest\"}}", path: "anonymous.role",
                          message: "unknown role 'guest': no realm defines it")
        assertAuthProblem("{\"anonymous\": {\"type\": \"static\", \"authid\": \"x\"}}", path: "anonymous.authid",
                          message: "not supported by this router")
    }

    func testAnonymousRoleThatNoRealmDefinesIsANotice() {
        let realms = "[{\"name\": \"realm1\", \"roles\": [{\"name\": \"user\", \"permissions\": []}]}]"
        let config = parsedFile(nodeConfig(realms: realms))
        XCTAssertEqual(config?.notices.map(\.path), ["workers[0].transports[0]"])
    }

    func testTicketStaticWithDefaultRoleAndEnvironmentSecret() {
        let json = """
            {"ticket": {"type": "static", "default-role": "user", "principals": {
                "alice": {"ticket": "${ALICE_TICKET}"}, "bob": {"ticket": "b", "role": "admin", "realm": "realm2"}}}}
            """
        XCTAssertEqual(auth(json, environment: ["ALICE_TICKET": "from-env"])?.ticket, .principals([
            "alice": TicketPrincipal(ticket: "from-env", role: "user"),
            "bob": TicketPrincipal(ticket: "b", role: "admin", realm: "realm2"),
        ]))
        assertAuthProblem(json, path: "ticket.principals.alice.ticket", message: "environment variable ALICE_TICKET is not set")
    }

    func testPrincipalRoleMustExistInItsOwnRealm() {
        assertAuthProblem("{\"ticket\": {\"type\": \"static\", \"principals\": {\"bob\": {\"ticket\": \"b\", \"role\": \"user\", \"realm\": \"realm2\"}}}}",
                          path: "ticket.principals.bob.role", message: "unknown role 'user' in realm 'realm2'")
        assertAuthProblem("{\"ticket\": {\"type\": \"static\", \"principals\": {\"bob\": {\"ticket\": \"b\", \"role\": \"user\", \"realm\": \"realm9\"}}}}",
                          path: "ticket.principals.bob.realm", message: "unknown realm 'realm9'")
        assertAuthProblem("{\"ticket\": {\"type\": \"static\", \"principals\": {\"bob\": {\"ticket\": \"b\"}}}}",
                          path: "ticket.principals.bob.role", message: "missing, and the method has no default-role")
        assertAuthProblem("{\"ticket\": {\"type\": \"static\", \"principals\": {\"bob\": {\"ticket\": \"b\", \"role\": \"trusted\"}}}}",
                          path: "ticket.principals.bob.role", message: "Crossbar's built-in 'trusted' role does not exist here")
        assertAuthProblem("{\"ticket\": {\"type\": \"static\", \"principals\": {\"bob\": {\"role\": \"user\", \"tikcet\": \"b\"}}}}",
                          path: "ticket.principals.bob.ticket", message: "missing")
        assertAuthProblem("{\"ticket\": {\"type\": \"static\"}}", path: "ticket.principals", message: "missing")
    }

    func testWampcraPlainAndSalted() {
        let json = """
            {"wampcra": {"type": "static", "users": {
                "peter": {"secret": "secret1", "role": "user"},
                "joe": {"secret": "secret2", "role": "user", "salt": "salt123", "iterations": 100, "keylen": 16}}}}
            """
        XCTAssertEqual(auth(json)?.wampcra, .principals([
            "peter": WampcraUser(secret: "secret1", role: "user"),
            "joe": WampcraUser(secret: "secret2", role: "user", salt: "salt123", iterations: 100, keylen: 16),
        ]))
    }

    func testWampcraSaltedUserWithBadParameters() {
        assertAuthProblem("{\"wampcra\": {\"type\": \"static\", \"users\": {\"joe\": {\"secret\": \"s\", \"role\": \"user\", \"salt\": \"x\", \"iterations\": 0, \"keylen\": 32}}}}",
                          path: "wampcra.users.joe.iterations", message: "must be 1...1000000, got 0")
        assertAuthProblem("{\"wampcra\": {\"type\": \"static\", \"users\": {\"joe\": {\"secret\": \"s\", \"role\": \"user\", \"salt\": \"x\", \"iterations\": 10, \"keylen\": 0}}}}",
                          path: "wampcra.users.joe.keylen", message: "must be 1...256 bytes, got 0")
        assertAuthProblem("{\"wampcra\": {\"type\": \"static\", \"users\": {\"joe\": {\"secret\": \"s\", \"role\": \"user\", \"salt\": \"x\", \"iterations\": \"many\", \"keylen\": 32}}}}",
                          path: "wampcra.users.joe.iterations", message: "expected an integer, got a string")
        assertAuthProblem("{\"wampcra\": {\"type\": \"static\", \"users\": {\"joe\": {\"secret\": \"s\", \"role\": \"user\", \"salt\": \"x\"}}}}",
                          path: "wampcra.users.joe", message: "missing iterations, keylen")
    }

    func testCryptosignKeys() {
        let key = String(repeating: "aB", count: 32)
        XCTAssertEqual(auth("{\"cryptosign\": {\"type\": \"static\", \"principals\": {\"dev\": {\"role\": \"admin\", \"realm\": \"realm2\", \"authorized_keys\": [\"\(key)\"]}}}}")?.cryptosign,
                       .principals(["dev": CryptosignPrincipal(realm: "realm2", role: "admin", authorizedKeys: [key.lowercased()])]))
        assertAuthProblem("{\"cryptosign\": {\"type\": \"static\", \"principals\": {\"dev\": {\"role\": \"user\", \"authorized_keys\": [\"\(key)\", \"abc\"]}}}}",
                          path: "cryptosign.principals.dev.authorized_keys[1]", message: "an Ed25519 public key is 64 hex digits, got 3 characters")
        assertAuthProblem("{\"cryptosign\": {\"type\": \"static\", \"principals\": {\"dev\": {\"role\": \"user\", \"authorized_keys\": [\"\(String(repeating: "g", count: 64))\"]}}}}",
                          path: "cryptosign.principals.dev.authorized_keys[0]", message: "64 hex digits")
        assertAuthProblem("{\"cryptosign\": {\"type\": \"static\", \"principals\": {\"dev\": {\"role\": \"user\", \"authorized_keys\": []}}}}",
                          path: "cryptosign.principals.dev.authorized_keys", message: "no keys")
        assertAuthProblem("{\"cryptosign\": {\"type\": \"static\", \"trustroots\": {}}}", path: "cryptosign.trustroots",
                          message: "not supported by this router")
    }

    func testDynamicAuthenticators() {
        let json = """
            {"ticket": {"type": "dynamic", "authenticator": "com.example.authenticate", "authenticator-realm": "realm1",
                        "authenticator-role": "authenticator"},
             "anonymous": {"type": "dynamic", "authenticator": "com.example.anon", "authenticator-realm": "realm2"}}
            """
        let config = auth(json)
        XCTAssertEqual(config?.ticket, .dynamic(DynamicAuthenticator(procedure: "com.example.authenticate", realm: "realm1", role: "authenticator")))
        XCTAssertEqual(config?.anonymous, .dynamic(DynamicAuthenticator(procedure: "com.example.anon", realm: "realm2")))
    }

    func testDynamicAuthenticatorRealmDefaultsOnlyWithOneRealm() {
        let oneRealm = "[{\"name\": \"realm1\", \"roles\": [{\"name\": \"anonymous\", \"permissions\": []}]}]"
        XCTAssertEqual(auth("{\"wampcra\": {\"type\": \"dynamic\", \"authenticator\": \"com.example.auth\"}}", realms: oneRealm)?.wampcra,
                       .dynamic(DynamicAuthenticator(procedure: "com.example.auth", realm: "realm1")))
        assertAuthProblem("{\"wampcra\": {\"type\": \"dynamic\", \"authenticator\": \"com.example.auth\"}}",
                          path: "wampcra.authenticator-realm", message: "with several realms")
        assertAuthProblem("{\"wampcra\": {\"type\": \"dynamic\", \"authenticator\": \"com.example.auth\", \"authenticator-realm\": \"nope\"}}",
                          path: "wampcra.authenticator-realm", message: "unknown realm 'nope'")
        assertAuthProblem("{\"wampcra\": {\"type\": \"dynamic\", \"authenticator\": \"com.example.auth\", \"authenticator-realm\": \"realm2\", \"authenticator-role\": \"user\"}}",
                          path: "wampcra.authenticator-role", message: "unknown role 'user' in realm 'realm2'")
        assertAuthProblem("{\"wampcra\": {\"type\": \"dynamic\", \"authenticator-realm\": \"realm2\"}}",
                          path: "wampcra.authenticator", message: "missing")
        assertAuthProblem("{\"wampcra\": {\"type\": \"dynamic\", \"authenticator\": \"Bad URI\", \"authenticator-realm\": \"realm2\"}}",
                          path: "wampcra.authenticator", message: "expected a procedure URI")
    }

    func testMethodTypesAndUnsupportedMethods() {
        assertAuthProblem("{\"ticket\": {\"type\": \"function\", \"create\": \"x.y\"}}", path: "ticket.type", message: "'function' runs Python code")
        assertAuthProblem("{\"ticket\": {\"type\": \"magic\"}}", path: "ticket.type", message: "must be static or dynamic, got 'magic'")
        assertAuthProblem("{\"ticket\": {\"principals\": {}}}", path: "ticket.type", message: "missing")
        for method in ["cookie", "tls", "scram"] {
            assertAuthProblem("{\"\(method)\": {\"type\": \"static\"}, \"anonymous\": {\"type\": \"static\"}}", path: method,
                              message: "not supported by this router")
        }
        assertAuthProblem("{\"kerberos\": {}}", path: "kerberos", message: "unknown key")
        assertProblem(nodeConfig(realms: Self.twoRealms, transports: ConfigSamples.transport(auth: "{}")),
                      path: "workers[0].transports[0].auth", message: "no authentication method")
    }

    func testAllAuthProblemsAreCollected() {
        let json = """
            {"ticket": {"type": "static", "principals": {"a": {"ticket": 1, "role": "nobody"}, "b": {"ticket": "t", "role": "user"}}},
             "cryptosign": {"type": "static", "principals": {"c": {"role": "user", "authorized_keys": ["zz"]}}}}
            """
        let found = problems(nodeConfig(realms: Self.twoRealms, transports: ConfigSamples.transport(auth: json)))
        XCTAssertEqual(found.map(\.path), [
            "workers[0].transports[0].auth.ticket.principals.a.ticket",
            "workers[0].transports[0].auth.ticket.principals.a.role",
            "workers[0].transports[0].auth.cryptosign.principals.c.authorized_keys[0]",
        ])
    }

    /// A role with a mistake is still a role by name: principals naming it get no extra problem.
    func testABrokenRoleDoesNotMakeItsPrincipalsUnknown() {
        let realms = """
            [{"name": "realm1", "roles": [{"name": "user", "permissions": [{"uri": "a", "match": "nope"}]}, {"name": "admin"}]}]
            """
        let json = """
            {"ticket": {"type": "static", "principals": {"a": {"ticket": "t", "role": "user"}, "b": {"ticket": "t", "role": "admin"}}}}
            """
        let found = problems(nodeConfig(realms: realms, transports: ConfigSamples.transport(auth: json)))
        XCTAssertEqual(found.map(\.path), ["workers[0].realms[0].roles[0].permissions[0].match", "workers[0].realms[0].roles[1]"])
    }
}
