import WampMessages

/// One publication's payload in each serialization its subscribers use, converted at most once
/// per serialization however many subscriptions and subscribers it reaches; and what could not
/// be delivered, for the publisher's answer and the log.
struct PublicationPayloads {
    private let original: Payload
    /// The payload converted to each other serialization, once. Separate properties, not a
    /// tuple (see `SubscriptionEncodings`).
    private var convertedJSON: Payload?
    private var convertedMsgpack: Payload?
    private var convertedCBOR: Payload?
    /// Why the payload has no form in a serialization.
    private var failureJSON: String?
    private var failureMsgpack: String?
    private var failureCBOR: String?
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
        if let done = converted(serialization) { return done }
        if failure(in: serialization) != nil { return nil }
        do {
            let payload = try original.converted(to: serialization)
            switch serialization {
            case .json: convertedJSON = payload
            case .msgpack: convertedMsgpack = payload
            case .cbor: convertedCBOR = payload
            }
            return payload
        } catch {
            switch serialization {
            case .json: failureJSON = error.reason
            case .msgpack: failureMsgpack = error.reason
            case .cbor: failureCBOR = error.reason
            }
            return nil
        }
    }

    private func converted(_ serialization: WampSerialization) -> Payload? {
        switch serialization {
        case .json: convertedJSON
        case .msgpack: convertedMsgpack
        case .cbor: convertedCBOR
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
        switch serialization {
        case .json: failureJSON
        case .msgpack: failureMsgpack
        case .cbor: failureCBOR
        }
    }
}

/// The EVENT of one subscription, encoded once per serialization among its receivers.
///
/// Three stored properties, not a tuple: reading one element of a tuple of optionals copied the
/// whole tuple through the runtime's generic tuple witness (about 300 instructions per delivered
/// EVENT in callgrind).
struct SubscriptionEncodings {
    private var json: EncodedMessage?
    private var msgpack: EncodedMessage?
    private var cbor: EncodedMessage?

    subscript(_ serialization: WampSerialization) -> EncodedMessage? {
        get {
            switch serialization {
            case .json: json
            case .msgpack: msgpack
            case .cbor: cbor
            }
        }
        set {
            switch serialization {
            case .json: json = newValue
            case .msgpack: msgpack = newValue
            case .cbor: cbor = newValue
            }
        }
    }
}
