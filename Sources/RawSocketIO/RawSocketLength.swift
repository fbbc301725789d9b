/// The handshake's 4-bit `LENGTH`: a maximum message length of 2^(9+LENGTH) octets, from 512
/// (0) to 16 MiB (15).
public enum RawSocketLength {
    public static let largestExponent: UInt8 = 15
    /// 2^24: the longest payload a frame can carry (with the X bit).
    public static let largestMessage = 1 << 24

    public static func maxLength(exponent: UInt8) -> Int {
        1 << (9 + Int(min(exponent, largestExponent)))
    }

    /// The largest exponent whose length is at most `maxMessageSize` (so that what the router
    /// announces it also accepts): 16 MiB and above give 15; below 512 octets gives 0, the
    /// smallest the handshake can say.
    public static func exponent(forMaxMessageSize maxMessageSize: Int) -> UInt8 {
        var exponent: UInt8 = 0
        while exponent < largestExponent && maxLength(exponent: exponent + 1) <= maxMessageSize {
            exponent += 1
        }
        return exponent
    }
}
