import WampMessages

/// Random IDs in 1...2^53 (the spec's "global scope" IDs) without a system call per ID.
///
/// A SplitMix64 stream seeded once from the system generator. Callers own one per lock, so
/// no synchronisation is needed here.
public struct IDGenerator: Sendable {
    private var state: UInt64

    public init() {
        var system = SystemRandomNumberGenerator()
        state = system.next()
    }

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> WampID {
        while true {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            let candidate = z >> 11  // 53 random bits: 0..<2^53
            if candidate != 0 { return candidate }  // 1...2^53-1, inside the spec's range
        }
    }
}
