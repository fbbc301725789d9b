import XCTest
import Realm
@testable import RouterConfig

/// Permissions: Crossbar's starred URIs, explicit match policies, and every malformed entry.
final class PermissionReaderTests: XCTestCase {
    private func permissions(_ list: String, file: StaticString = #filePath, line: UInt = #line) -> [Permission]? {
        guard let config = parsedFile(nodeConfig(realms: ConfigSamples.realm(permissions: list)), file: file, line: line) else {
            return nil
        }
        guard case .permissions(let permissions) = config.realms[0].roles["r"] else {
            XCTFail("not a static role", file: file, line: line)
            return nil
        }
        return permissions
    }

    private func single(_ entry: String, file: StaticString = #filePath, line: UInt = #line) -> Permission? {
        permissions("[\(entry)]", file: file, line: line)?.first
    }

    func testStarredURIsWithoutMatchSayThePolicy() {
        let cases: [(String, String, MatchPolicy)] = [
            ("com.example.add2", "com.example.add2", .exact),
            ("com.example.*", "com.example.", .prefix),
            ("com.ex*", "com.ex", .prefix),
            ("*", "", .prefix),
            ("com.*.tick", "com..tick", .wildcard),
            ("*.a.*", ".a.", .wildcard),
            ("com.*.*", "com..", .wildcard),
        ]
        for (written, stored, policy) in cases {
            let permission = single("{\"uri\": \"\(written)\", \"allow\": {\"call\": true}}")
            XCTAssertEqual(permission?.uri, stored, written)
            XCTAssertEqual(permission?.match, policy, written)
        }
    }

    func testEmptyURIMatchesEverythingWhateverTheMatch() {
        for match in [nil, "exact", "prefix", "wildcard"] {
            let permission = single("{\"uri\": \"\"\(match.map { ", \"match\": \"\($0)\"" } ?? "")}")
            XCTAssertEqual(permission?.uri, "", match ?? "no match")
            XCTAssertEqual(permission?.match, .prefix, match ?? "no match")
        }
    }

    func testExplicitMatchKeepsTheURIAsWritten() {
        XCTAssertEqual(single("{\"uri\": \"com.example\", \"match\": \"prefix\"}")?.uri, "com.example")
        XCTAssertEqual(single("{\"uri\": \"com..tick\", \"match\": \"wildcard\"}")?.match, .wildcard)
        XCTAssertEqual(single("{\"uri\": \"com.example.add2\", \"match\": \"exact\"}")?.match, .exact)
    }

    func testStarWithExplicitMatchIsRefused() {
        assertProblem(nodeConfig(realms: ConfigSamples.realm(permissions: "[{\"uri\": \"com.example.*\", \"match\": \"prefix\"}]")),
                      path: "workers[0].realms[0].roles[0].permissions[0].uri", message: "takes '*' literally")
    }

    func testStarInsideAComponentIsRefused() {
        assertProblem(nodeConfig(realms: ConfigSamples.realm(permissions: "[{\"uri\": \"com.ex*ample.*\"}]")),
                      path: "workers[0].realms[0].roles[0].permissions[0].uri", message: "whole URI component")
    }

    func testURIWithWhitespaceOrHashIsRefused() {
        for uri in ["com.a b", "com.a#b"] {
            assertProblem(nodeConfig(realms: ConfigSamples.realm(permissions: "[{\"uri\": \"\(uri)\"}]")),
                          path: "workers[0].realms[0].roles[0].permissions[0].uri", message: "no whitespace and no '#'")
        }
    }

    func testAllowDiscloseAndCacheDefaults() throws {
        let permission = try XCTUnwrap(single("{\"uri\": \"a.b\", \"allow\": {\"publish\": true, \"call\": false}}"))
        XCTAssertEqual(permission.allow, [.publish])
        XCTAssertFalse(permission.discloseCaller)
        XCTAssertFalse(permission.disclosePublisher)
        XCTAssertFalse(permission.cache, "Crossbar's default for an absent cache is false")
        let bare = try XCTUnwrap(single("{\"uri\": \"a.b\"}"))
        XCTAssertEqual(bare.allow, [])
        let disclosed = try XCTUnwrap(single("{\"uri\": \"a.b\", \"disclose\": {\"caller\": true}, \"cache\": true}"))
        XCTAssertTrue(disclosed.discloseCaller)
        XCTAssertFalse(disclosed.disclosePublisher)
        XCTAssertTrue(disclosed.cache)
    }

    func testPermissionWithoutURI() {
        assertProblem(nodeConfig(realms: ConfigSamples.realm(permissions: "[{\"allow\": {\"call\": true}}]")),
                      path: "workers[0].realms[0].roles[0].permissions[0].uri", message: "missing")
    }

    func testBadMatch() {
        assertProblem(nodeConfig(realms: ConfigSamples.realm(permissions: "[{\"uri\": \"a\", \"match\": \"regex\"}]")),
                      path: "workers[0].realms[0].roles[0].permissions[0].match", message: "must be exact, prefix or wildcard, got 'regex'")
    }

    func testAllowWithUnknownKeyOrNonBool() {
        let text = nodeConfig(realms: ConfigSamples.realm(permissions: """
            [{"uri": "a", "allow": {"call": true, "invoke": true}}, {"uri": "b", "allow": {"subscribe": "yes"}}]
            """))
        let found = problems(text)
        XCTAssertEqual(found.map(\.description), [
            "workers[0].realms[0].roles[0].permissions[0].allow.invoke: unknown key",
            "workers[0].realms[0].roles[0].permissions[1].allow.subscribe: expected true or false, got a string",
        ])
    }

    func testDiscloseUnknownKey() {
        assertProblem(nodeConfig(realms: ConfigSamples.realm(permissions: "[{\"uri\": \"a\", \"disclose\": {\"callee\": true}}]")),
                      path: "workers[0].realms[0].roles[0].permissions[0].disclose.callee", message: "unknown key")
    }

    func testValidateIsNotSupportedAndUnknownKeysAreNamed() {
        let found = problems(nodeConfig(realms: ConfigSamples.realm(permissions: """
            [{"uri": "a", "validate": {"call": "t"}, "alow": {}}]
            """)))
        XCTAssertEqual(Set(found.map(\.path)), [
            "workers[0].realms[0].roles[0].permissions[0].validate",
            "workers[0].realms[0].roles[0].permissions[0].alow",
        ])
        XCTAssertTrue(found.contains { $0.message.hasPrefix("not supported by this router") })
    }

    func testPermissionThatIsNotADictionary() {
        assertProblem(nodeConfig(realms: ConfigSamples.realm(permissions: "[\"com.example\"]")),
                      path: "workers[0].realms[0].roles[0].permissions[0]", message: "expected a dictionary, got a string")
    }
}
