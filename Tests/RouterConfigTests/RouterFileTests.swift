import Foundation
import XCTest
import Realm
import WampAuth
@testable import RouterConfig

/// The typical node config (fixtures), read from JSON and from YAML, mapped onto typed values.
final class RouterFileTests: XCTestCase {
    private var folder: ScratchFolder!

    override func setUpWithError() throws {
        folder = try ScratchFolder()
    }

    override func tearDown() {
        folder.remove()
    }

    private func fixture(_ name: String) throws -> String {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil))
        return try String(contentsOf: url, encoding: .utf8)
    }

    func testTypicalJSONConfig() throws {
        let path = try folder.write(try fixture("node.json"), to: "config.json")
        try assertTypical(try RouterFile.load(path: path, environment: [:]))
    }

    func testTypicalYAMLConfigMeansTheSame() throws {
        let json = try RouterFile.load(path: try folder.write(try fixture("node.json"), to: "config.json"), environment: [:])
        let yaml = try RouterFile.load(path: try folder.write(try fixture("node.yaml"), to: "config.yaml"), environment: [:])
        XCTAssertEqual(yaml, json)
    }

    func testUnknownExtensionIsReadAsJSONThenYAML() throws {
        let fromJSON = try RouterFile.load(path: try folder.write(try fixture("node.json"), to: "node.conf"), environment: [:])
        let fromYAML = try RouterFile.load(path: try folder.write(try fixture("node.yaml"), to: "other.conf"), environment: [:])
        XCTAssertEqual(fromJSON, fromYAML)
    }

    private func assertTypical(_ config: RouterFile) throws {
        XCTAssertEqual(config.directory, (folder.path as NSString).standardizingPath)
        XCTAssertEqual(config.realms.map(\.name), ["realm1"])
        let realm = config.realms[0]
        XCTAssertEqual(realm.roleNames, ["backend", "frontend"])
        XCTAssertEqual(realm.roles["backend"], .permissions([
            Permission(uri: "com.example.", match: .prefix, allow: Set(WampAction.allCases), discloseCaller: true,
                       disclosePublisher: true, cache: true),
            Permission(uri: "wamp.session.", match: .prefix, allow: [.call], cache: false),
        ]))
        XCTAssertEqual(realm.roles["frontend"], .permissions([
            Permission(uri: "com.example.add2", match: .exact, allow: [.call], cache: false),
            Permission(uri: "com.example..tick", match: .wildcard, allow: [.subscribe], cache: false),
        ]))

        XCTAssertEqual(config.transports.count, 2)
        let secure = config.transports[0]
        XCTAssertEqual(secure.kind, .websocket)
        XCTAssertEqual(secure.configPath, "workers[0].transports[0]")
        XCTAssertEqual(secure.endpoint.port, 8443)
        XCTAssertEqual(secure.endpoint.interface, "0.0.0.0")
        XCTAssertEqual(secure.endpoint.tls, TLSFiles(
            key: config.directory + "/tls/server.key", certificate: config.directory + "/tls/server.crt",
            caCertificates: [config.directory + "/tls/ca.crt"]))
        XCTAssertEqual(secure.serializers, [.json])
        XCTAssertEqual(secure.options, WebSocketOptions(
            maxMessageSize: 1_048_576, autoPingInterval: .seconds(10), autoPingTimeout: .seconds(5),
            openHandshakeTimeout: .milliseconds(2500), permessageDeflate: true, allowedOrigins: ["https://*.example.com"]))
        XCTAssertNil(secure.auth.anonymous)
        XCTAssertEqual(secure.auth.methods, [.ticket, .wampcra, .cryptosign])
        XCTAssertEqual(secure.auth.ticket, .principals(["joe": TicketPrincipal(ticket: "secret!!!", role: "frontend")]))
        XCTAssertEqual(secure.auth.wampcra, .principals([
            "peter": WampcraUser(secret: "secret1", role: "frontend"),
            "joe": WampcraUser(secret: "secret2", role: "backend", salt: "salt123", iterations: 100, keylen: 16),
        ]))
        XCTAssertEqual(secure.auth.cryptosign, .principals([
            "client01@example.com": CryptosignPrincipal(
                realm: "realm1", role: "backend",
                authorizedKeys: ["545efb0a2192db8d43f118e9bf9aee081466e1ef36c708b96ee6f62dddad9122"]),
        ]))

        let web = config.transports[1]
        XCTAssertEqual(web.kind, .web(websocketPath: "/ws"))
        XCTAssertEqual(web.endpoint, TCPEndpoint(port: 8080, interface: "127.0.0.1"))
        XCTAssertEqual(web.auth, TransportAuthConfiguration(anonymous: .role("frontend")))
        XCTAssertEqual(web.options, WebSocketOptions())
        XCTAssertEqual(config.notices, [])
    }

    func testTLSFilesResolveAgainstTheConfigFolderNotTheWorkingDirectory() throws {
        let json = try fixture("node.json")
        let sub = folder.path + "/nested"
        try FileManager.default.createDirectory(atPath: sub, withIntermediateDirectories: true)
        let moved = json.replacingOccurrences(of: "\"tls/server.key\"", with: "\"../tls/server.key\"")
            .replacingOccurrences(of: "\"tls/server.crt\"", with: "\"\(folder.path)/tls/server.crt\"")
            .replacingOccurrences(of: "\"tls/ca.crt\"", with: "\"../tls/ca.crt\"")
        let config = try RouterFile.load(path: try folder.write(moved, to: "nested/config.json"), environment: [:])
        let tls = try XCTUnwrap(config.transports[0].endpoint.tls)
        let base = (folder.path as NSString).standardizingPath
        XCTAssertEqual(tls.key, base + "/tls/server.key")
        XCTAssertEqual(tls.certificate, base + "/tls/server.crt")
        XCTAssertEqual(tls.caCertificates, [base + "/tls/ca.crt"])
    }

    func testMissingTLSFilesAreNamedByTheirKeyPath() throws {
        let json = try fixture("node.json")
            .replacingOccurrences(of: "\"tls/server.key\"", with: "\"tls/missing.key\"")
            .replacingOccurrences(of: "\"tls/ca.crt\"", with: "\"tls/missing-ca.crt\"")
        let path = try folder.write(json, to: "config.json")
        XCTAssertThrowsError(try RouterFile.load(path: path, environment: [:])) { error in
            let problems = (error as! ConfigProblems).problems
            XCTAssertEqual(problems.map(\.path), [
                "workers[0].transports[0].endpoint.tls.key",
                "workers[0].transports[0].endpoint.tls.ca_certificates[0]",
            ])
            XCTAssertTrue(problems[0].message.hasPrefix("no such file: "))
            XCTAssertTrue(problems[0].message.hasSuffix("/tls/missing.key"))
        }
    }

    func testMissingFileIsOneProblem() {
        XCTAssertThrowsError(try RouterFile.load(path: folder.path + "/nope.json", environment: [:])) { error in
            XCTAssertEqual((error as! ConfigProblems).problems.count, 1)
            XCTAssertTrue((error as! ConfigProblems).problems[0].message.hasPrefix("cannot read"))
        }
    }

    func testYAMLProblemsCarryLineNumbers() throws {
        let yaml = try fixture("node.yaml").replacingOccurrences(of: "match: prefix", with: "match: prefixx")
        let path = try folder.write(yaml, to: "config.yaml")
        XCTAssertThrowsError(try RouterFile.load(path: path, environment: [:])) { error in
            let problem = (error as! ConfigProblems).problems[0]
            XCTAssertEqual(problem.path, "workers[0].realms[0].roles[0].permissions[0].match")
            XCTAssertEqual(problem.line, 11)
            XCTAssertEqual(problem.descriptionWithLine,
                           "workers[0].realms[0].roles[0].permissions[0].match: must be exact, prefix or wildcard, got 'prefixx' (line 11)")
        }
    }

    func testJSONIndentedWithTabsStillReads() throws {
        let tabbed = try fixture("node.json").replacingOccurrences(of: "    ", with: "\t")
        let path = try folder.write(tabbed, to: "config.json")
        let config = try RouterFile.load(path: path, environment: [:])
        XCTAssertEqual(config.transports.count, 2)
        XCTAssertEqual(config.realms[0].roles.count, 2)
        // Tabs between tokens are whitespace to both parsers.
        XCTAssertEqual(config.realms[0].roleNames, ["backend", "frontend"])
        XCTAssertEqual(config.transports[0].options.permessageDeflate, true)
    }

    func testSyntaxErrorIsOneProblem() {
        let found = problems("{\"version\": 2,, }")
        XCTAssertEqual(found.count, 1)
        XCTAssertTrue(found[0].message.hasPrefix("not valid"), found[0].message)
    }

    func testReloadSaysWhatNeedsARestart() throws {
        let path = try folder.write(try fixture("node.json"), to: "config.json")
        let current = try RouterFile.load(path: path, environment: [:])
        let changed = try fixture("node.json")
            .replacingOccurrences(of: "\"port\": 8080", with: "\"port\": 9090")
            .replacingOccurrences(of: "\"secret1\"", with: "\"new-secret\"")
        _ = try folder.write(changed, to: "config.json")
        guard case .loaded(let new, let restartNeeded) = RouterFile.reload(path: path, replacing: current, environment: [:]) else {
            return XCTFail("reload refused")
        }
        XCTAssertEqual(new.transports[1].endpoint.port, 9090)
        guard case .principals(let users) = new.transports[0].auth.wampcra else { return XCTFail("no wampcra users") }
        XCTAssertEqual(users["peter"]?.secret, "new-secret")
        XCTAssertEqual(restartNeeded, [
            "workers[0].transports[1]: endpoint changed; applied after a restart",
            "workers[0].transports[0].endpoint.tls: key and certificate files are read at start-up; a renewed certificate needs a restart",
        ])

        _ = try folder.write("{\"version\": 3}", to: "config.json")
        guard case .refused(let problems) = RouterFile.reload(path: path, replacing: current, environment: [:]) else {
            return XCTFail("a bad file was loaded")
        }
        XCTAssertEqual(problems.problems.map(\.path), ["version", "workers"])
    }
}
