import XCTest
import Realm

final class LogTextTests: XCTestCase {
    func testControlCharactersAndQuotesAreEscaped() {
        XCTAssertEqual(LogText.quoted("com.a\nFAKE LINE\u{1B}[31m\"x\\"), #""com.a\nFAKE LINE\u001b[31m\"x\\""#)
        XCTAssertEqual(LogText.quoted("é🙂"), #""\u00e9\U0001f642""#)
    }

    func testLongTextIsCutAndSaysHowLongItWas() {
        let text = String(repeating: "a", count: 10_000)
        let quoted = LogText.quoted(text)
        XCTAssertEqual(quoted, "\"" + String(repeating: "a", count: LogText.defaultLimit) + "\"…(10000 bytes)")
        XCTAssertFalse(quoted.contains("\n"))
    }
}
