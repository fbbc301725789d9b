/// Where the flow draws challenges, nonces and anonymous authids from. The default is the
/// system CSPRNG (`SystemRandomNumberGenerator`: getrandom on Linux); tests inject fixed bytes.
public struct AuthRandom: Sendable {
    private let draw: @Sendable (Int) -> [UInt8]

    public init(_ draw: @escaping @Sendable (Int) -> [UInt8]) {
        self.draw = draw
    }

    public func bytes(_ count: Int) -> [UInt8] {
        let bytes = draw(count)
        precondition(bytes.count == count, "AuthRandom returned \(bytes.count) bytes, not \(count)")
        return bytes
    }

    public static let system = AuthRandom { count in
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }
}

/// The wall clock the WAMP-CRA challenge's `timestamp` reads, as Unix milliseconds.
public struct AuthClock: Sendable {
    public let millisecondsSince1970: @Sendable () -> Int64

    public init(millisecondsSince1970: @escaping @Sendable () -> Int64) {
        self.millisecondsSince1970 = millisecondsSince1970
    }

    public static let system = AuthClock {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Int64(time.tv_sec) * 1_000 + Int64(time.tv_nsec) / 1_000_000
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
