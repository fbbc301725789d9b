#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// One thread's block of hot-path counters (`TrafficLayout`). Only its own thread writes it, with
/// a relaxed load and a relaxed store (no read-modify-write, no lock prefix, no cache line shared
/// with another thread); a scrape reads it with relaxed loads from any thread. A count is then
/// never lost, and a scrape sees each counter at some recent value.
package struct TrafficSlot: @unchecked Sendable {
    let base: UnsafeMutablePointer<Atomic<Int>>

    /// The calling thread's block, made and registered the first time the thread records.
    @inline(__always)
    package static var current: TrafficSlot {
        if let raw = pthread_getspecific(TrafficSlots.shared.key) {
            return TrafficSlot(base: raw.assumingMemoryBound(to: Atomic<Int>.self))
        }
        return TrafficSlots.shared.makeSlotForThisThread()
    }

    @inline(__always)
    package func add(_ index: Int, _ amount: Int = 1) {
        let counter = base + index
        counter.pointee.store(counter.pointee.load(ordering: .relaxed) &+ amount, ordering: .relaxed)
    }

    func value(_ index: Int) -> Int { (base + index).pointee.load(ordering: .relaxed) }

    @inline(__always)
    func record(_ value: Int, in histogram: HistogramLayout, at histogramBase: Int) {
        add(histogramBase + histogram.bucket(of: value))
        add(histogramBase + histogram.sumSlot, value)
        add(histogramBase + histogram.countSlot)
    }
}

/// Every thread's `TrafficSlot`, for the scrape. A thread's block is registered once (the first
/// time it records, under the lock) and folded into `retired` when the thread exits (a pthread
/// key destructor), so counts outlive their threads and memory does not grow with thread churn
/// (the tests start and stop many event-loop groups).
///
/// The blocks are process-wide: two routers in one process (tests) add into the same totals,
/// as `WebSocketMetrics` and `RawSocketMetrics` do; a production process runs one router.
package final class TrafficSlots: Sendable {
    package static let shared = TrafficSlots()

    struct Registry {
        var live: [TrafficSlot] = []
        var retired = [Int](repeating: 0, count: TrafficLayout.slotCount)
    }

    let key: pthread_key_t
    private let registry = Mutex(Registry())

    private init() {
        var key = pthread_key_t()
        let status = pthread_key_create(&key) { raw in
            guard let raw else { return }
            TrafficSlots.shared.retire(raw.assumingMemoryBound(to: Atomic<Int>.self))
        }
        precondition(status == 0, "pthread_key_create failed: \(status)")
        self.key = key
    }

    fileprivate func makeSlotForThisThread() -> TrafficSlot {
        let bytes = TrafficLayout.slotCount * MemoryLayout<Int>.stride
        let raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        let base = raw.bindMemory(to: Atomic<Int>.self, capacity: TrafficLayout.slotCount)
        for index in 0..<TrafficLayout.slotCount { (base + index).initialize(to: Atomic(0)) }
        let slot = TrafficSlot(base: base)
        registry.withLock { $0.live.append(slot) }
        pthread_setspecific(key, raw)
        return slot
    }

    private func retire(_ base: UnsafeMutablePointer<Atomic<Int>>) {
        let slot = TrafficSlot(base: base)
        registry.withLock { registry in
            for index in 0..<TrafficLayout.slotCount { registry.retired[index] &+= slot.value(index) }
            registry.live.removeAll { $0.base == base }
        }
        base.deinitialize(count: TrafficLayout.slotCount)
        UnsafeMutableRawPointer(base).deallocate()
    }

    /// Every counter summed over all threads, live and exited.
    package func totals() -> [Int] {
        registry.withLock { registry in
            var totals = registry.retired
            for slot in registry.live {
                for index in 0..<TrafficLayout.slotCount { totals[index] &+= slot.value(index) }
            }
            return totals
        }
    }

    /// Threads that have recorded and not exited (for tests of the aggregation).
    package var liveThreadCount: Int { registry.withLock { $0.live.count } }
}
