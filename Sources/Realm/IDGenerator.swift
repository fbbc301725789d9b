#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import WampMessages

/// Random IDs in 1...2^53 (the spec's "global scope" IDs: sessions, publications, subscriptions,
/// registrations) that no peer can predict from the IDs it has seen.
///
/// Every ID is 53 bits straight from the operating system's CSPRNG (`getentropy`, backed by
/// getrandom on Linux), so knowing any number of earlier IDs says nothing about the next one. A
/// seeded fast generator would not do: two consecutive SplitMix64 outputs give away its state
/// (`IDGeneratorTests` shows the attack). To keep the system call off the hot path the IDs are
/// drawn in batches of `batchSize`, 256 bytes per call. Callers own one per lock, so no
/// synchronisation is needed here.
public struct IDGenerator: Sendable {
    static let batchSize = 128

    /// The most slots a cluster has (`slot` takes the top 10 of the 53 bits).
    public static let maxSlot = 1023

    private var batch: [UInt64]
    private var nextIndex: Int
    /// 0 alone; a cluster node's slot in bits 43...52 (docs/cluster.md "Node identity and IDs").
    private let prefix: UInt64
    /// 11 alone (53 random bits), 21 in a cluster (43 random bits under the slot): the same
    /// shift-and-or either way, so a single router pays nothing for the cluster's ID space.
    private let shift: UInt64

    public init() {
        batch = [UInt64](repeating: 0, count: Self.batchSize)
        nextIndex = Self.batchSize
        prefix = 0
        shift = 11
    }

    /// IDs of a cluster node: `slot` (1...1023) in the top 10 of the 53 bits, 43 random bits below,
    /// so two nodes never draw the same ID and no peer can predict the next one.
    public init(slot: Int) {
        precondition((1...Self.maxSlot).contains(slot), "a cluster slot is 1...1023")
        batch = [UInt64](repeating: 0, count: Self.batchSize)
        nextIndex = Self.batchSize
        prefix = UInt64(slot) << 43
        shift = 21
    }

    /// The slot whose range `id` is in (a cluster ID's top 10 of 53 bits).
    public static func slot(of id: WampID) -> Int { Int(id >> 43) }

    public mutating func next() -> WampID {
        while true {
            if nextIndex == batch.count { refill() }
            let candidate = prefix | (batch[nextIndex] >> shift)  // 53 bits: 0..<2^53
            nextIndex += 1
            if candidate != 0 { return candidate }  // 1...2^53-1, inside the spec's range
        }
    }

    private mutating func refill() {
        batch.withUnsafeMutableBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let length = min(256, bytes.count - offset)  // getentropy's most per call
                if getentropy(bytes.baseAddress! + offset, length) != 0 {
                    // Not expected on any supported system; the standard library's generator
                    // reads the same CSPRNG (one call per value) and traps if it cannot.
                    var system = SystemRandomNumberGenerator()
                    for index in stride(from: offset, to: bytes.count, by: 8) {
                        bytes.storeBytes(of: system.next() as UInt64, toByteOffset: index, as: UInt64.self)
                    }
                    break
                }
                offset += length
            }
        }
        nextIndex = 0
    }
}
