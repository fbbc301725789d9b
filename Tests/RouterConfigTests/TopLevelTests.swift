import XCTest
@testable import RouterConfig

/// The top level: version, controller, workers.
final class TopLevelTests: XCTestCase {
    private let router = "{\"type\": \"router\", \"realms\": \(ConfigSamples.realms), \"transports\": \(ConfigSamples.transports)}"

    func testMinimalConfig() {
        let config = parsedFile(nodeConfig())
        XCTAssertEqual(config?.realms.count, 1)
        XCTAssertEqual(config?.transports.count, 1)
        XCTAssertEqual(config?.notices, [])
        XCTAssertNotNil(parsedFile("{\"version\": 2, \"workers\": [\(router)]}"), "controller may be absent")
    }

    func testVersionMustBeTwo() {
        assertProblem("{\"version\": 1, \"workers\": [\(router)]}", path: "version", message: "must be 2")
        assertProblem("{\"workers\": [\(router)]}", path: "version", message: "missing")
        assertProblem("{\"version\": \"2\", \"workers\": [\(router)]}", path: "version", message: "expected the integer 2, got a string")
    }

    func testControllerBeyondAnIdIsRefused() {
        XCTAssertNotNil(parsedFile("{\"version\": 2, \"controller\": {\"id\": \"node1\"}, \"workers\": [\(router)]}"))
        let found = problems("{\"version\": 2, \"controller\": {\"options\": {\"title\": \"x\"}, \"fabric\": {}}, \"workers\": [\(router)]}")
        XCTAssertEqual(found.map(\.description), [
            "controller.options: not supported by this router: node controller options",
            "controller.fabric: unknown key",
        ])
        assertProblem("{\"version\": 2, \"controller\": [], \"workers\": [\(router)]}", path: "controller", message: "expected a dictionary, got a list")
    }

    func testWorkersOtherThanOneRouterAreRefused() {
        let found = problems("""
            {"version": 2, "workers": [\(router), {"type": "container", "components": []}, {"type": "guest", "executable": "x"},
                                       \(router), {"type": "proxy"}]}
            """)
        XCTAssertEqual(found.map(\.path), ["workers[1].type", "workers[2].type", "workers[3].type", "workers[4].type"])
        XCTAssertTrue(found[0].message.contains("only one worker of type router, got 'container'"))
        XCTAssertTrue(found[2].message.contains("only one router worker"))
        assertProblem("{\"version\": 2, \"workers\": []}", path: "workers", message: "needs one worker of type router")
        assertProblem("{\"version\": 2}", path: "workers", message: "missing")
    }

    func testRouterWorkerKeys() {
        let found = problems(nodeConfig(router: "\"id\": \"worker1\", \"options\": {\"pythonpath\": [\"..\"]}, \"components\": [], \"realmz\": []"))
        XCTAssertEqual(found.map(\.path), ["workers[0].options", "workers[0].components", "workers[0].realmz"])
        XCTAssertEqual(found[2].message, "unknown key")
    }

    func testUnknownTopLevelKey() {
        let found = problems(nodeConfig(topLevel: "\"$schema\": \"https://x\", \"wokers\": []"))
        XCTAssertEqual(found.map(\.description), ["wokers: unknown key"])
    }

    func testRootThatIsNotADictionary() {
        XCTAssertEqual(problems("[1, 2]").map(\.message), ["expected a dictionary, got a list"])
    }

    func testDescriptionsArePathColonMessage() {
        let problem = ConfigProblem(path: "workers[0].type", message: "not supported", line: 3)
        XCTAssertEqual(problem.description, "workers[0].type: not supported")
        XCTAssertEqual(problem.descriptionWithLine, "workers[0].type: not supported (line 3)")
        XCTAssertEqual(ConfigProblems([problem, problem]).description, "workers[0].type: not supported\nworkers[0].type: not supported")
    }

    func testJSONLineNumbers() {
        let text = """
            {
              "version": 2,
              "workers": [
                {"type": "router",
                 "realms": [{"name": "realm1", "rolez": []}]}
              ]
            }
            """
        let found = problems(text)
        XCTAssertEqual(found.map(\.descriptionWithLine), ["workers[0].realms[0].rolez: unknown key (line 5)"])
    }

    /// JSON the YAML parser refuses (a tab before the first token, an escaped surrogate pair) goes
    /// through Foundation's parser, whose values must keep their JSON types (a boolean is not the
    /// number 1) and whose keys come out sorted.
    func testJSONTheYAMLParserRefusesFallsBackToFoundationsParser() throws {
        let text = "\t{\"b\": 1,\n\t\"a\": true,\n\t\"c\": 2.5,\n\t\"d\": [\"\\ud83d\\ude00\", null]\n}"
        guard case .success(let node) = ConfigSyntax.parse(text, as: .json), case .map(let entries) = node.value else {
            return XCTFail("not parsed as a dictionary")
        }
        XCTAssertEqual(entries.map(\.key), ["a", "b", "c", "d"])
        guard case .bool(true) = entries[0].value.value else { return XCTFail("a: \(entries[0].value.typeName)") }
        guard case .int(1) = entries[1].value.value else { return XCTFail("b: \(entries[1].value.typeName)") }
        guard case .double(2.5) = entries[2].value.value else { return XCTFail("c: \(entries[2].value.typeName)") }
        guard case .list(let items) = entries[3].value.value, items.count == 2, case .string("\u{1F600}") = items[0].value,
              case .null = items[1].value else {
            return XCTFail("d: \(entries[3].value.typeName)")
        }
    }

    func testHugeIntegerIsANumberOutOfRange() {
        assertProblem(nodeConfig(transports: "[{\"type\": \"websocket\", \"endpoint\": {\"type\": \"tcp\", \"port\": 123456789012345678901}}]"),
                      path: "workers[0].transports[0].endpoint.port", message: "expected an integer, got a non-integer number")
    }

    func testSpaceIndentedJSONKeepsKeyOrder() throws {
        guard case .success(let node) = ConfigSyntax.parse("{\"b\": 1, \"a\": true}", as: .json), case .map(let entries) = node.value else {
            return XCTFail("not parsed as a dictionary")
        }
        XCTAssertEqual(entries.map(\.key), ["b", "a"])
    }
}
