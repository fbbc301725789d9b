import Foundation
import RouterConfig
import XCTest

@testable import HTTPBridge

/// Crossbar's signed requests, checked against values computed outside this code base.
final class RequestSignatureTests: XCTestCase {
    static let body = #"{"topic": "com.myapp.topic1", "args": ["Hello, world"]}"#
    /// Computed with Python 3's standard library, independently of the code under test:
    ///
    ///     import hmac, hashlib, base64
    ///     message = b'foobar' + b'2011-10-14T16:59:51.123Z' + b'1' + b'123456' + body
    ///     base64.urlsafe_b64encode(hmac.new(b'kkjH68GiuUZ', message, hashlib.sha256).digest())
    static let vector = "PtYh7dMql2qNOf956s-IrlFhzQV48KvYhPUxsnMZCnU="
    /// `datetime(2011, 10, 14, 16, 59, 51, 123000, tzinfo=timezone.utc).timestamp() * 1000`
    static let vectorTime: Int64 = 1_318_611_591_123

    private let check = RequestSignature(signing: .init(key: "foobar", secret: "kkjH68GiuUZ"), timestampDeltaLimit: 300)

    private func query(key: String = "foobar", timestamp: String = "2011-10-14T16:59:51.123Z", seq: String = "1",
                       nonce: String = "123456", signature: String = vector) -> QueryParameters {
        QueryParameters(uri: "/publish?key=\(key)&timestamp=\(timestamp)&seq=\(seq)&nonce=\(nonce)&signature=\(signature)")
    }

    func testSignatureOfTheVector() {
        XCTAssertEqual(RequestSignature.signature(key: "foobar", timestamp: "2011-10-14T16:59:51.123Z", seq: "1", nonce: "123456",
                                                  body: Array(Self.body.utf8), secret: "kkjH68GiuUZ"), Self.vector)
    }

    func testAcceptedWithinTheWindow() {
        let result = check.check(query(), body: Array(Self.body.utf8), nowMilliseconds: Self.vectorTime + 299_000)
        XCTAssertEqual(try result.get(), RequestSignature.Accepted(signature: Self.vector, expiresAtMilliseconds: Self.vectorTime + 599_000))
    }

    func testPercentEncodedPaddingIsTheSameSignature() {
        let encoded = query(timestamp: "2011-10-14T16%3A59%3A51.123Z", signature: Self.vector.replacingOccurrences(of: "=", with: "%3D"))
        XCTAssertNoThrow(try check.check(encoded, body: Array(Self.body.utf8), nowMilliseconds: Self.vectorTime).get())
    }

    func testRefusals() {
        let body = Array(Self.body.utf8)
        let now = Self.vectorTime
        func refusal(_ query: QueryParameters, body: [UInt8] = body, now: Int64 = now) -> BridgeRefusal? {
            if case .failure(let refusal) = check.check(query, body: body, nowMilliseconds: now) { return refusal }
            return nil
        }
        XCTAssertEqual(refusal(query(), body: body + [0x20]), .badSignature)
        XCTAssertEqual(refusal(query(signature: "PtYh7dMql2qNOf956s-IrlFhzQV48KvYhPUxsnMZCnV=")), .badSignature)
        XCTAssertEqual(refusal(query(seq: "2")), .badSignature)
        XCTAssertEqual(refusal(query(key: "other")), .unknownKey)
        XCTAssertEqual(refusal(query(), now: now + 300_001), .timestampOutOfWindow(limitSeconds: 300))
        XCTAssertEqual(refusal(query(), now: now - 300_001), .timestampOutOfWindow(limitSeconds: 300))
        XCTAssertEqual(refusal(query(timestamp: "2011-10-14 16:59:51")), .malformedSignatureField("timestamp", "UTC ISO 8601 with fraction and Z, e.g. 2011-10-14T16:59:51.123Z"))
        XCTAssertEqual(refusal(query(seq: "one")), .malformedSignatureField("seq", "an integer"))
        XCTAssertEqual(refusal(query(nonce: "0x10")), .malformedSignatureField("nonce", "an integer"))
        XCTAssertEqual(refusal(QueryParameters(uri: "/publish?key=foobar&timestamp=x&seq=1&nonce=1")), .missingSignatureField("signature"))
        XCTAssertEqual(refusal(QueryParameters(uri: "/publish")), .missingSignatureField("key"))
        XCTAssertEqual(BridgeRefusal.badSignature.status, .unauthorized)
        XCTAssertEqual(BridgeRefusal.missingSignatureField("seq").status, .badRequest)
    }

    func testURLSafeBase64() {
        // base64.urlsafe_b64encode(b'\xfb\xff\xfe'), (b'a'), (b'ab')
        XCTAssertEqual(URLSafeBase64.encode([0xFB, 0xFF, 0xFE]), "-__-")
        XCTAssertEqual(URLSafeBase64.encode(Array("a".utf8)), "YQ==")
        XCTAssertEqual(URLSafeBase64.encode(Array("ab".utf8)), "YWI=")
        XCTAssertEqual(URLSafeBase64.encode([]), "")
    }

    func testTimestamps() {
        XCTAssertEqual(BridgeTimestamp.millisecondsSince1970("2011-10-14T16:59:51.123Z"), Self.vectorTime)
        XCTAssertEqual(BridgeTimestamp.millisecondsSince1970("2011-10-14T16:59:51.123456Z"), Self.vectorTime)
        XCTAssertEqual(BridgeTimestamp.millisecondsSince1970("2011-10-14T16:59:51.1Z"), Self.vectorTime - 23)
        // datetime(2000, 2, 29, tzinfo=timezone.utc).timestamp() * 1000
        XCTAssertEqual(BridgeTimestamp.millisecondsSince1970("2000-02-29T00:00:00.0Z"), 951_782_400_000)
        XCTAssertEqual(BridgeTimestamp.millisecondsSince1970("1969-12-31T23:59:59.5Z"), -500)
        for bad in ["2011-10-14T16:59:51Z", "2011-10-14T16:59:51.1234567Z", "2011-02-29T00:00:00.0Z", "2011-13-01T00:00:00.0Z",
                    "2011-10-14T24:00:00.0Z", "2011-10-14T16:59:51.123", "2011-10-14t16:59:51.123Z", "20x1-10-14T16:59:51.123Z"] {
            XCTAssertNil(BridgeTimestamp.millisecondsSince1970(bad), bad)
        }
    }

    func testQueryParameters() {
        let query = QueryParameters(uri: "/p?a=1&a=2&b=x+y%21&c&bad=%zz&%E2%82%AC=euro")
        XCTAssertEqual(query["a"], "1")
        XCTAssertEqual(query["b"], "x y!")
        XCTAssertEqual(query["c"], "")
        XCTAssertNil(query["bad"])
        XCTAssertEqual(query["€"], "euro")
        XCTAssertNil(QueryParameters(uri: "/p")["a"])
    }
}

final class ReplayGuardTests: XCTestCase {
    private func accepted(_ signature: String, expires: Int64) -> RequestSignature.Accepted {
        RequestSignature.Accepted(signature: signature, expiresAtMilliseconds: expires)
    }

    func testTheSameSignatureIsRefusedUntilItExpires() {
        var guardian = ReplayGuard(capacity: 8)
        XCTAssertEqual(guardian.admit(accepted("a", expires: 100), nowMilliseconds: 0), .accepted)
        XCTAssertEqual(guardian.admit(accepted("a", expires: 100), nowMilliseconds: 50), .replayed)
        XCTAssertEqual(guardian.admit(accepted("b", expires: 100), nowMilliseconds: 50), .accepted)
        XCTAssertEqual(guardian.count, 2)
        // Past its expiry the timestamp check refuses it anyway; the memory forgets it.
        XCTAssertEqual(guardian.admit(accepted("c", expires: 300), nowMilliseconds: 101), .accepted)
        XCTAssertEqual(guardian.count, 1)
    }

    func testFullOfLiveEntriesRefusesInsteadOfForgetting() {
        var guardian = ReplayGuard(capacity: 2)
        XCTAssertEqual(guardian.admit(accepted("late", expires: 1_000), nowMilliseconds: 0), .accepted)
        XCTAssertEqual(guardian.admit(accepted("early", expires: 10), nowMilliseconds: 0), .accepted)
        XCTAssertEqual(guardian.admit(accepted("x", expires: 1_000), nowMilliseconds: 5), .full)
        XCTAssertEqual(guardian.admit(accepted("late", expires: 1_000), nowMilliseconds: 5), .replayed)
        // "early" expired behind "late" in arrival order: the full sweep finds it.
        XCTAssertEqual(guardian.admit(accepted("x", expires: 1_000), nowMilliseconds: 11), .accepted)
        XCTAssertEqual(guardian.count, 2)
    }

    func testBoundedOverManyRequests() {
        var guardian = ReplayGuard(capacity: 16)
        for index in 0..<10_000 {
            _ = guardian.admit(accepted("s\(index)", expires: Int64(index) + 5), nowMilliseconds: Int64(index))
            XCTAssertLessThanOrEqual(guardian.count, 16)
        }
    }
}
