import Foundation
import NIOCore
import XCTest

@testable import WampMessages

final class TransportEncodingCacheTests: XCTestCase {
    func testEachKeyIsMadeOnceAndKeptApart() {
        let cache = TransportEncodingCache()
        var made: [Int] = []
        for _ in 0..<3 {
            for key in [0, 15, 10] {
                let encoding = cache.encoding(key: key) {
                    made.append(key)
                    return ByteBuffer(string: "frame \(key)")
                }
                XCTAssertEqual(String(buffer: encoding), "frame \(key)")
            }
        }
        XCTAssertEqual(made, [0, 15, 10], "one make per key, however often asked")
    }

    func testUnkeyedEncodingIsKeyZero() {
        let cache = TransportEncodingCache()
        _ = cache.encoding(key: 15) { ByteBuffer(string: "compressed") }
        XCTAssertEqual(String(buffer: cache.encoding { ByteBuffer(string: "plain") }), "plain")
        XCTAssertEqual(String(buffer: cache.encoding(key: 0) { ByteBuffer(string: "other") }), "plain")
        XCTAssertEqual(String(buffer: cache.encoding(key: 15) { ByteBuffer(string: "other") }), "compressed")
    }

    func testConcurrentCallersOfOneKeyShareOneMake() {
        let cache = TransportEncodingCache()
        let makes = ManagedAtomicCounter()
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            for key in 9...15 {
                _ = cache.encoding(key: key) {
                    makes.increment()
                    return ByteBuffer(string: "\(key)")
                }
            }
        }
        XCTAssertEqual(makes.value, 7)
    }
}

/// A counter several threads bump (the makes run under the cache's lock, but the test must not
/// rely on that to count).
private final class ManagedAtomicCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { self.lock.lock(); self.count += 1; self.lock.unlock() }
    var value: Int { self.lock.lock(); defer { self.lock.unlock() }; return self.count }
}
