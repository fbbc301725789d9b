import WampMessages

/// Where each hot-path figure sits in a thread's block of counters (`TrafficSlot`). One flat
/// block of `Int`s per thread keeps a recording a load and a store at a fixed offset, and a scrape
/// a sum over blocks.
package enum TrafficLayout {
    /// Message codes are small (1...70): indexed by raw value, the unused ones stay zero.
    package static let codeCount = 71
    static let receivedBase = 0
    static let sentBase = receivedBase + codeCount
    static let bytesReceived = sentBase + codeCount
    static let bytesSent = bytesReceived + 1
    static let errorsBase = bytesSent + 1
    static let abortsBase = errorsBase + ReasonURI.count
    static let timeoutsBase = abortsBase + ReasonURI.count
    static let callDurationBase = timeoutsBase + TimeoutKind.allCases.count
    static let fanOutBase = callDurationBase + HistogramLayout.callDuration.slotCount
    /// Counters in one block, rounded up to whole 64-byte cache lines so that no two threads'
    /// blocks share a line.
    package static let slotCount: Int = {
        let used = fanOutBase + HistogramLayout.fanOut.slotCount
        return (used + 7) / 8 * 8
    }()

    static func received(_ code: Int) -> Int { receivedBase + code }
    static func sent(_ code: Int) -> Int { sentBase + code }
}

/// The timeouts the router counts by name (`wamp_timeouts_total{timeout}`); the transports'
/// own (WebSocket handshake and ping, RawSocket handshake) are read from their process-wide
/// counters at scrape.
package enum TimeoutKind: Int, CaseIterable, Sendable {
    /// No WELCOME or ABORT within the WAMP opening handshake's deadline.
    case wampHandshake
    /// A CALL's `timeout` option ran out before the callee answered.
    case call
    /// A peer did not answer the router's GOODBYE in time.
    case goodbyeReply

    package var label: String {
        switch self {
        case .wampHandshake: "wamp_handshake"
        case .call: "call"
        case .goodbyeReply: "goodbye_reply"
        }
    }
}
