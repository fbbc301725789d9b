/// The last `capacity` per-second values of a figure, from samples of a running total taken
/// once a second: each slot holds the increase since the previous sample. Fixed size, so a
/// router that runs for months keeps 60 numbers per figure.
public struct RateRing: Sendable, Equatable {
    public let capacity: Int
    private var slots: [Int]
    /// Index of the next slot to write.
    private var next = 0
    private var filled = 0
    private var lastTotal: Int?

    public init(capacity: Int = 60) {
        self.capacity = max(1, capacity)
        self.slots = Array(repeating: 0, count: self.capacity)
    }

    /// Records a running total. The first sample only sets the base. A total that went down
    /// (a counter that lost closed sessions' counts, a restart) counts as no increase rather
    /// than a negative rate.
    public mutating func sample(total: Int) {
        defer { self.lastTotal = total }
        guard let last = self.lastTotal else { return }
        self.record(max(0, total &- last))
    }

    /// Records one second's value directly (a gauge such as the session count).
    public mutating func record(_ value: Int) {
        self.slots[self.next] = value
        self.next = (self.next + 1) % self.capacity
        self.filled = min(self.capacity, self.filled + 1)
    }

    /// Oldest first; fewer than `capacity` until that many seconds have been recorded.
    public var values: [Int] {
        let start = (self.next - self.filled + self.capacity) % self.capacity
        return (0..<self.filled).map { self.slots[(start + $0) % self.capacity] }
    }
}
