import Crypto

/// Comparisons of secrets (tickets, expected signatures) whose running time does not depend on
/// where the two values first differ, so a peer cannot find a ticket byte by byte by timing ABORTs.
public enum SecretComparison {
    /// Compares the SHA-256 digests of both values in constant time: the digests have one fixed
    /// length, so neither the position of the first difference nor the stored value's length
    /// shows in the comparison (hashing the peer's own input takes time the peer already knows).
    public static func equal(_ presented: String, _ expected: String) -> Bool {
        constantTimeEqual(Array(SHA256.hash(data: Array(presented.utf8))), Array(SHA256.hash(data: Array(expected.utf8))))
    }

    /// True when both arrays have the same length and bytes; looks at every byte either way.
    public static func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for index in lhs.indices { difference |= lhs[index] ^ rhs[index] }
        return difference == 0
    }
}
