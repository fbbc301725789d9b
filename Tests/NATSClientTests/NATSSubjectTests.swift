import XCTest

@testable import NATSClient

final class NATSSubjectTests: XCTestCase {
    func testSubscribeSubjects() {
        for valid in ["a", "a.b.c", "*", ">", "a.*", "a.>", "*.*.>", "$KV.bucket.>", "_INBOX.x.*", "a-b_c.d"] {
            XCTAssertTrue(NATSSubject.isValidSubscribeSubject(valid), valid)
        }
        for invalid in ["", ".", "a.", ".a", "a..b", "a b", "a\tb", "a\r\n", "a.>.b", ">.a", "a*", "a.b>", "*a", "a\u{0}b"] {
            XCTAssertFalse(NATSSubject.isValidSubscribeSubject(invalid), invalid.debugDescription)
        }
    }

    func testPublishSubjects() {
        XCTAssertTrue(NATSSubject.isValidPublishSubject("$JS.API.STREAM.INFO.KV_x"))
        XCTAssertFalse(NATSSubject.isValidPublishSubject("a.*"))
        XCTAssertFalse(NATSSubject.isValidPublishSubject("a.>"))
        XCTAssertTrue(NATSSubject.isValidQueueGroup("workers"))
        XCTAssertFalse(NATSSubject.isValidQueueGroup("a b"))
        XCTAssertFalse(NATSSubject.isValidQueueGroup(""))
    }
}
