import XCTest

@testable import WebSocketIO

final class UTF8ValidatorTests: XCTestCase {
    private func isValid(_ bytes: [UInt8]) -> Bool {
        var validator = UTF8Validator()
        return validator.validate(bytes) && validator.isComplete
    }

    func testValidText() {
        XCTAssertTrue(self.isValid([]))
        XCTAssertTrue(self.isValid(Array("Hello-µ@ßöäüàá-UTF-8!!".utf8)))
        XCTAssertTrue(self.isValid(Array("κόσμε 𝄞 \u{10FFFF} \u{FFFD}".utf8)))
        XCTAssertTrue(self.isValid(Array(String(repeating: "abcdefgh", count: 100).utf8)))
    }

    func testInvalidSequences() {
        XCTAssertFalse(self.isValid([0xC0, 0x80]), "overlong NUL")
        XCTAssertFalse(self.isValid([0xE0, 0x80, 0x80]), "overlong 3-byte")
        XCTAssertFalse(self.isValid([0xF0, 0x80, 0x80, 0x80]), "overlong 4-byte")
        XCTAssertFalse(self.isValid([0xED, 0xA0, 0x80]), "surrogate")
        XCTAssertFalse(self.isValid([0xF4, 0x90, 0x80, 0x80]), "above U+10FFFF")
        XCTAssertFalse(self.isValid([0xF5]), "invalid lead byte")
        XCTAssertFalse(self.isValid([0x80]), "lone continuation")
        XCTAssertFalse(self.isValid([0xE2, 0x82]), "truncated at end")
        XCTAssertFalse(self.isValid(Array("abcdefghijkl".utf8) + [0xFF]), "invalid after ASCII fast path")
    }

    func testSequenceSplitAcrossChunks() {
        var validator = UTF8Validator()
        let euro: [UInt8] = [0xE2, 0x82, 0xAC]
        XCTAssertTrue(validator.validate(euro[0..<1]))
        XCTAssertFalse(validator.isComplete)
        XCTAssertTrue(validator.validate(euro[1..<2]))
        XCTAssertTrue(validator.validate(euro[2..<3]))
        XCTAssertTrue(validator.isComplete)
    }

    func testFailsAtTheFirstBadChunk() {
        var validator = UTF8Validator()
        XCTAssertTrue(validator.validate(Array("κό".utf8)))
        XCTAssertFalse(validator.validate([0x61, 0xED, 0xA0]), "must fail at the chunk containing the bad byte")
        XCTAssertFalse(validator.validate([0x61]), "failure is sticky")
        validator.reset()
        XCTAssertTrue(validator.validate([0x61]))
    }
}
