import Foundation
import Logging
import Synchronization
import XCTest

@testable import WampRouterMain

final class JSONLogHandlerTests: XCTestCase {
    private func parsed(_ line: String, file: StaticString = #filePath, line number: UInt = #line) throws -> [String: Any] {
        XCTAssertTrue(line.hasSuffix("}\n"), "one object per line: \(line)", file: file, line: number)
        XCTAssertEqual(line.filter { $0 == "\n" }.count, 1, "exactly one newline: \(line)", file: file, line: number)
        let object = try JSONSerialization.jsonObject(with: Data(line.utf8))
        return try XCTUnwrap(object as? [String: Any], file: file, line: number)
    }

    private func line(message: String = "hello", metadata: Logger.Metadata = [:]) -> String {
        JSONLogHandler.line(time: "2026-12-02T06:38:37.123456Z", level: .notice, label: "wamp-router",
                            message: message, source: "WampRouter", metadata: metadata)
    }

    func testFixedFieldsComeFirstInAStableOrder() {
        XCTAssertEqual(
            line(metadata: ["session": "42", "realm": "realm1"]),
            #"{"time":"2026-12-02T06:38:37.123456Z","level":"notice","label":"wamp-router","message":"hello","source":"WampRouter","realm":"realm1","session":"42"}"# + "\n")
    }

    func testQuotesAndBackslashesAreEscaped() throws {
        let text = #"say "hi" \ C:\path"#
        let out = line(message: text, metadata: [#"k"ey"#: .string(text)])
        XCTAssertTrue(out.contains(#""message":"say \"hi\" \\ C:\\path""#), out)
        let object = try parsed(out)
        XCTAssertEqual(object["message"] as? String, text)
        XCTAssertEqual(object[#"k"ey"#] as? String, text)
    }

    func testControlCharactersCannotEndTheLine() throws {
        let text = "a\nb\rc\td\u{08}e\u{0C}f\u{00}g\u{1B}[31mh\u{7F}i\u{2028}j\u{2029}k"
        let out = line(message: text)
        XCTAssertTrue(out.contains(#"a\nb\rc\td\be\ff\u0000g\u001b[31mh\u007fi\u2028j\u2029k"#), out)
        XCTAssertEqual(try parsed(out)["message"] as? String, text)
    }

    func testNonASCIIStaysReadableUTF8() throws {
        let text = "Grüße, 東京, 🎉"
        let out = line(message: text, metadata: ["authid": .string(text)])
        XCTAssertTrue(out.contains("\"message\":\"Grüße, 東京, 🎉\""), out)
        XCTAssertEqual(try parsed(out)["authid"] as? String, text)
    }

    func testNestedMetadataBecomesObjectsAndArrays() throws {
        let metadata: Logger.Metadata = [
            "peer": .dictionary(["address": "127.0.0.1", "ports": .array(["1", .stringConvertible(2)]),
                                 "tls": .dictionary(["version": "1.3"])]),
            "empty": .dictionary([:]),
            "list": .array([]),
        ]
        let out = line(metadata: metadata)
        XCTAssertTrue(out.contains(#""empty":{},"list":[],"peer":{"address":"127.0.0.1","ports":["1","2"],"tls":{"version":"1.3"}}"#), out)
        let peer = try XCTUnwrap(try parsed(out)["peer"] as? [String: Any])
        XCTAssertEqual(peer["ports"] as? [String], ["1", "2"])
        XCTAssertEqual((peer["tls"] as? [String: String])?["version"], "1.3")
    }

    func testMetadataCannotShadowTheFixedFields() throws {
        let out = line(metadata: ["message": "forged", "level": "critical", "time": "0", "label": "x", "source": "y"])
        let object = try parsed(out)
        XCTAssertEqual(object["message"] as? String, "hello")
        XCTAssertEqual(object["level"] as? String, "notice")
        XCTAssertEqual(object["metadata.message"] as? String, "forged")
        XCTAssertEqual(object["metadata.level"] as? String, "critical")
        XCTAssertEqual(object["metadata.source"] as? String, "y")
    }

    func testTimeIsRFC3339UTCWithMicroseconds() {
        XCTAssertEqual(JSONLogHandler.rfc3339((seconds: 0, microseconds: 0)), "1970-01-01T00:00:00.000000Z")
        XCTAssertEqual(JSONLogHandler.rfc3339((seconds: 1_700_000_000, microseconds: 123_456)), "2023-11-14T22:13:20.123456Z")
        XCTAssertEqual(JSONLogHandler.rfc3339((seconds: 951_782_399, microseconds: 999_999)), "2000-02-28T23:59:59.999999Z")
        XCTAssertEqual(JSONLogHandler.rfc3339((seconds: 951_868_800, microseconds: 7)), "2000-03-01T00:00:00.000007Z")
    }

    func testALoggerMergesHandlerProviderAndCallMetadataCallWins() throws {
        let lines = Mutex<[String]>([])
        let provider = Logger.MetadataProvider { ["trace": "t1", "realm": "from-provider"] }
        var logger = Logger(label: "wamp-router") { label in
            JSONLogHandler(label: label, metadataProvider: provider) { line in lines.withLock { $0.append(line) } }
        }
        logger.logLevel = .info
        logger[metadataKey: "session"] = "7"
        logger.debug("below the level")
        logger.notice("session joined", metadata: ["realm": "realm1"])
        let captured = lines.withLock { $0 }
        XCTAssertEqual(captured.count, 1)
        let object = try parsed(try XCTUnwrap(captured.first))
        XCTAssertEqual(object["message"] as? String, "session joined")
        XCTAssertEqual(object["level"] as? String, "notice")
        XCTAssertEqual(object["label"] as? String, "wamp-router")
        XCTAssertEqual(object["session"] as? String, "7")
        XCTAssertEqual(object["realm"] as? String, "realm1")
        XCTAssertEqual(object["trace"] as? String, "t1")
        let time = try XCTUnwrap(object["time"] as? String)
        XCTAssertNotNil(time.range(of: #"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$"#, options: .regularExpression), time)
    }

    func testAnErrorIsLoggedWithItsType() throws {
        struct Refused: Error, CustomStringConvertible { var description: String { "port in use" } }
        let lines = Mutex<[String]>([])
        let logger = Logger(label: "t") { label in JSONLogHandler(label: label) { line in lines.withLock { $0.append(line) } } }
        logger.error("bind failed", error: Refused())
        let object = try parsed(try XCTUnwrap(lines.withLock { $0.first }))
        XCTAssertEqual(object["error.message"] as? String, "port in use")
        XCTAssertTrue((object["error.type"] as? String ?? "").hasSuffix("Refused"))
    }
}
