import XCTest
import Realm
@testable import RouterConfig

/// Realms and roles.
final class RealmReaderTests: XCTestCase {
    func testDuplicateRealm() {
        let realms = """
            [{"name": "realm1", "roles": [{"name": "anonymous", "allow-by-default": true}]}, {"name": "realm2"},
             {"name": "realm1"}]
            """
        assertProblem(nodeConfig(realms: realms), path: "workers[0].realms[2].name", message: "duplicate realm 'realm1' (also workers[0].realms[0])")
    }

    func testDuplicateRoleWithinARealm() {
        let realms = """
            [{"name": "realm1", "roles": [{"name": "anonymous", "allow-by-default": true},
                                         {"name": "anonymous", "permissions": []}]}]
            """
        assertProblem(nodeConfig(realms: realms), path: "workers[0].realms[0].roles[1].name", message: "duplicate role 'anonymous'")
    }

    func testSameRoleNameInTwoRealmsIsFine() {
        let realms = """
            [{"name": "realm1", "roles": [{"name": "anonymous", "allow-by-default": true}]},
             {"name": "realm2", "roles": [{"name": "anonymous", "allow-by-default": false}]}]
            """
        let config = parsedFile(nodeConfig(realms: realms))
        XCTAssertEqual(config?.realms.map(\.name), ["realm1", "realm2"])
        XCTAssertEqual(config?.realms[1].roles["anonymous"], .permissions([]))
        XCTAssertEqual(config?.realms[0].roles["anonymous"], .permissions([Permission(uri: "", match: .prefix, allow: Set(WampAction.allCases))]))
    }

    func testRoleWithBothOrNeitherPermissionsAndAuthorizer() {
        let realms = """
            [{"name": "realm1", "roles": [{"name": "a", "permissions": [], "authorizer": "com.example.authorize"},
                                         {"name": "b"}]}]
            """
        let found = problems(nodeConfig(realms: realms))
        XCTAssertEqual(found.map(\.path), ["workers[0].realms[0].roles[0]", "workers[0].realms[0].roles[1]"])
        XCTAssertTrue(found[0].message.contains("'permissions' and 'authorizer'"), found[0].message)
        XCTAssertTrue(found[1].message.contains("needs 'permissions' or 'authorizer'"), found[1].message)
    }

    func testAuthorizerRole() {
        let realms = "[{\"name\": \"realm1\", \"roles\": [{\"name\": \"anonymous\", \"authorizer\": \"com.example.authorize\"}]}]"
        XCTAssertEqual(parsedFile(nodeConfig(realms: realms))?.realms[0].roles["anonymous"], .authorizer(procedure: "com.example.authorize"))
        let bad = "[{\"name\": \"realm1\", \"roles\": [{\"name\": \"anonymous\", \"authorizer\": \"Com.Example auth\"}]}]"
        assertProblem(nodeConfig(realms: bad), path: "workers[0].realms[0].roles[0].authorizer", message: "expected a procedure URI")
    }

    func testRoleWithoutName() {
        assertProblem(nodeConfig(realms: "[{\"name\": \"realm1\", \"roles\": [{\"permissions\": []}]}]"),
                      path: "workers[0].realms[0].roles[0].name", message: "missing")
    }

    func testRealmNameRules() {
        assertProblem(nodeConfig(realms: "[{\"name\": \"r1\"}]"), path: "workers[0].realms[0].name", message: "a realm name is a letter")
        assertProblem(nodeConfig(realms: "[{\"name\": \"1realm\"}]"), path: "workers[0].realms[0].name", message: "a realm name is a letter")
        assertProblem(nodeConfig(realms: "[{\"roles\": []}]"), path: "workers[0].realms[0].name", message: "missing")
        assertProblem(nodeConfig(realms: "[{\"name\": 7}]"), path: "workers[0].realms[0].name", message: "expected a string, got an integer")
    }

    func testRealmOptionsAndUnsupportedKeys() {
        let realms = """
            [{"name": "realm1", "roles": [{"name": "anonymous", "allow-by-default": true}],
              "options": {"uri_check": "strict", "enable_meta_api": true, "bridge_meta_api": false}}]
            """
        XCTAssertEqual(parsedFile(nodeConfig(realms: realms))?.realms[0].uriCheck, .strict)
        let unsupported = """
            [{"name": "realm1", "store": {"type": "memory"}, "options": {"enable_meta_api": false, "uri_check": "lax", "colour": 1}}]
            """
        XCTAssertEqual(problems(nodeConfig(realms: unsupported)).map(\.path), [
            "workers[0].realms[0].options.enable_meta_api",
            "workers[0].realms[0].options.uri_check",
            "workers[0].realms[0].options.colour",
            "workers[0].realms[0].store",
        ])
    }

    func testEventDispatchingChunkSizeIsANotice() {
        let realms = """
            [{"name": "realm1", "roles": [{"name": "anonymous", "allow-by-default": true}],
              "options": {"event_dispatching_chunk_size": 100}}]
            """
        XCTAssertEqual(parsedFile(nodeConfig(realms: realms))?.notices.map(\.path), ["workers[0].realms[0].options.event_dispatching_chunk_size"])
    }

    func testRoleNamesKeepTheFileOrder() {
        let realms = """
            [{"name": "realm1", "roles": [{"name": "zeta", "permissions": []}, {"name": "anonymous", "permissions": []},
                                         {"name": "alpha", "permissions": []}]}]
            """
        XCTAssertEqual(parsedFile(nodeConfig(realms: realms))?.realms[0].roleNames, ["zeta", "anonymous", "alpha"])
    }

    func testAllProblemsAreCollected() {
        let realms = """
            [{"name": "realm1", "roles": [{"name": "a", "permissions": [{"match": "x"}]}, {"name": "b"}]}, {"name": "realm1"}]
            """
        let found = problems(nodeConfig(realms: realms))
        XCTAssertEqual(found.map(\.path), [
            "workers[0].realms[0].roles[0].permissions[0].uri",
            "workers[0].realms[0].roles[0].permissions[0].match",
            "workers[0].realms[0].roles[1]",
            "workers[0].realms[1].name",
        ])
    }
}
