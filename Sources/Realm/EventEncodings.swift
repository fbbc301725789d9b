import WampMessages

/// One publication's payload in each serialization its subscribers use, converted at most once
/// per serialization however many subscriptions and subscribers it reaches; and what could not
/// be delivered, for the publisher's answer and the log.
struct PublicationPayloads {
    private let original: Payload
    private var converted: (Payload?, Payload?, Payload?) = (nil, nil, nil)
    /// Why the payload has no form in a serialization, by `WampSerialization.index`.
    private var failures: (String?, String?, String?) = (nil, nil, nil)
    /// Subscribers that did not get the event: their serializer cannot represent the payload.
    private(set) var notRepresentable = 0
    /// Subscribers that did not get the event: it is larger than they accept.
    private(set) var tooLarge = 0
    /// The first reason something was not delivered, for the publisher's ERROR and the log.
    private(set) var firstRefusal: DeliveryRefusal?

    init(_ payload: Payload) {
        original = payload
    }

    var anyUndelivered: Bool { notRepresentable + tooLarge > 0 }

    /// The payload in `serialization`, or nil (recorded) when it cannot be represented there.
    mutating func payload(in serialization: WampSerialization) -> Payload? {
        if serialization == original.serialization || original.isEmpty { return original }
        switch serialization.index {
        case 0: if let done = converted.0 { return done } else if failures.0 != nil { return nil }
        case 1: if let done = converted.1 { return done } else if failures.1 != nil { return nil }
        default: if let done = converted.2 { return done } else if failures.2 != nil { return nil }
        }
        do {
            let payload = try original.converted(to: serialization)
            switch serialization.index {
            case 0: converted.0 = payload
            case 1: converted.1 = payload
            default: converted.2 = payload
            }
            return payload
        } catch {
            switch serialization.index {
            case 0: failures.0 = error.reason
            case 1: failures.1 = error.reason
            default: failures.2 = error.reason
            }
            return nil
        }
    }

    mutating func refused(_ refusal: DeliveryRefusal) {
        switch refusal {
        case .notRepresentable: notRepresentable += 1
        case .tooLarge: tooLarge += 1
        }
        if firstRefusal == nil { firstRefusal = refusal }
    }

    func failure(in serialization: WampSerialization) -> String? {
        switch serialization.index {
        case 0: failures.0
        case 1: failures.1
        default: failures.2
        }
    }
}

/// The EVENT of one subscription, encoded once per serialization among its receivers.
struct SubscriptionEncodings {
    private var slots: (EncodedMessage?, EncodedMessage?, EncodedMessage?) = (nil, nil, nil)

    subscript(_ serialization: WampSerialization) -> EncodedMessage? {
        get {
            switch serialization.index {
            case 0: slots.0
            case 1: slots.1
            default: slots.2
            }
        }
        set {
            switch serialization.index {
            case 0: slots.0 = newValue
            case 1: slots.1 = newValue
            default: slots.2 = newValue
            }
        }
    }
}
