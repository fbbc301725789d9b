/// A WAMP ID: an integer in 1...2^53, the range every JSON peer can represent exactly.
public typealias WampID = UInt64

public enum WampIDRange {
    public static let max: WampID = 1 << 53

    public static func contains(_ value: Int64) -> Bool {
        value >= 1 && value <= Int64(max)
    }
}
