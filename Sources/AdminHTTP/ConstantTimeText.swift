/// Secret comparison whose running time depends only on the presented value's length, not on
/// where it first differs from the expected one, so a peer cannot find a token byte by byte by
/// timing the admin listener's 401s.
enum ConstantTimeText {
    static func equal(_ presented: String, _ expected: String) -> Bool {
        self.equal(Array(presented.utf8), Array(expected.utf8))
    }

    /// Looks at every presented byte whatever the lengths; a length difference is folded into
    /// the result instead of returning early.
    static func equal(_ presented: [UInt8], _ expected: [UInt8]) -> Bool {
        guard !expected.isEmpty else { return false }
        var difference = UInt64(truncatingIfNeeded: presented.count ^ expected.count)
        for index in presented.indices {
            difference |= UInt64(presented[index] ^ expected[index % expected.count])
        }
        return difference == 0
    }
}
