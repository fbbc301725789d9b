import XCTest
import Realm
import WampMessages

final class IDGeneratorTests: XCTestCase {
    func testIDsStayInsideTheSpecRangeAndDoNotRepeatQuickly() {
        var generator = IDGenerator()
        var seen = Set<WampID>()
        for _ in 0..<100_000 {
            let id = generator.next()
            XCTAssertTrue(id >= 1 && id <= WampIDRange.max)
            seen.insert(id)
        }
        // 100,000 random 53-bit values collide with probability ~5e-7; three collisions would
        // take a broken generator.
        XCTAssertGreaterThanOrEqual(seen.count, 99_998)
    }

    func testIDsUseAllFiftyThreeBits() {
        var generator = IDGenerator()
        var union: UInt64 = 0, intersection: UInt64 = .max
        for _ in 0..<1_000 {
            let id = generator.next()
            union |= id
            intersection &= id
        }
        XCTAssertEqual(union, (1 << 53) - 1, "some of the 53 bits never vary")
        XCTAssertEqual(intersection, 0, "some bits are always set")
    }

    func testSessionIDsAreUniqueAmongLiveSessions() {
        let registry = RealmRegistry(realmNames: ["realm1"])
        let ids = (0..<10_000).map { _ in registry.newSessionID() }
        XCTAssertEqual(Set(ids).count, ids.count)
        XCTAssertNotNil(registry.realm(named: "realm1"))
        XCTAssertNil(registry.realm(named: "realm2"))
    }

    /// The attack on the generator this one replaced: SplitMix64's output function is a
    /// bijection, so the 53 bits of one ID leave 2^11 candidate states; the second ID picks the
    /// right one, and the third ID follows. It must work on SplitMix and fail on `IDGenerator`.
    func testTwoConsecutiveIDsDoNotPredictTheThird() {
        var system = SystemRandomNumberGenerator()
        for _ in 0..<5 {
            var splitMix = SplitMixIDs(state: system.next())
            let (a, b, c) = (splitMix.next(), splitMix.next(), splitMix.next())
            XCTAssertEqual(SplitMixAttack.predictThird(a, b), c, "the attack itself must work on SplitMix64")
        }
        var generator = IDGenerator()
        for _ in 0..<50 {
            let (a, b, c) = (generator.next(), generator.next(), generator.next())
            let prediction = SplitMixAttack.predictThird(a, b)
            XCTAssertNotEqual(prediction, c)
            XCTAssertNil(prediction, "no SplitMix64 state explains two consecutive IDs")
        }
    }
}

/// The ID stream the router used before: SplitMix64, top 53 bits, zero skipped.
private struct SplitMixIDs {
    var state: UInt64
    mutating func next() -> UInt64 {
        while true {
            state &+= SplitMixAttack.gamma
            let candidate = SplitMixAttack.mix(state) >> 11
            if candidate != 0 { return candidate }
        }
    }
}

private enum SplitMixAttack {
    static let gamma: UInt64 = 0x9E37_79B9_7F4A_7C15
    static let multiplier1: UInt64 = 0xBF58_476D_1CE4_E5B9
    static let multiplier2: UInt64 = 0x94D0_49BB_1331_11EB

    static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* multiplier1
        z = (z ^ (z >> 27)) &* multiplier2
        return z ^ (z >> 31)
    }

    static func unmix(_ value: UInt64) -> UInt64 {
        var z = undoShiftXor(value, 31)
        z = undoShiftXor(z &* inverse(multiplier2), 27)
        return undoShiftXor(z &* inverse(multiplier1), 30)
    }

    /// Inverse of `x ^ (x >> shift)`.
    static func undoShiftXor(_ y: UInt64, _ shift: UInt64) -> UInt64 {
        var x = y
        for _ in 0..<(64 / shift + 1) { x = y ^ (x >> shift) }
        return x
    }

    /// Multiplicative inverse of an odd number modulo 2^64 (Newton's iteration).
    static func inverse(_ odd: UInt64) -> UInt64 {
        var inverse = odd
        for _ in 0..<6 { inverse = inverse &* (2 &- odd &* inverse) }
        return inverse
    }

    /// The third ID, if some SplitMix64 state produces `first` and then `second`.
    static func predictThird(_ first: UInt64, _ second: UInt64) -> UInt64? {
        for low in UInt64(0)..<2048 {
            let state = unmix(first << 11 | low)
            if mix(state &+ gamma) >> 11 == second {
                return mix(state &+ gamma &+ gamma) >> 11
            }
        }
        return nil
    }
}
