import WampMessages

/// What one peer does and how it speaks. Each peer has its own copy, so one run can mix
/// serializers (subscribers round robin over `--subscriber-serializers`).
struct PeerConfig: Sendable {
    var realm: String
    var procedure = "bench.echo"
    /// The callee's REGISTER match policy (e.g. `wildcard`) and URI, when not `procedure` exact.
    var calleeRegistration: (match: String?, uri: String)?
    var topic = "bench.topic"
    /// Calls (caller) or unacknowledged publications (publisher with ack) kept outstanding.
    var window = 1
    var acknowledge = false
    /// Publications per second; nil for max rate.
    var rate: Double?
    var payloadBytes = 0
    /// Caller: stop after this many calls (fixed-work runs).
    var callBudget: Int?
    /// Publisher: stop after this many publications (fixed-work runs).
    var publicationBudget: Int?
    /// The WAMP serialization this peer speaks (WebSocket subprotocol or RawSocket serializer id).
    var serialization = WampSerialization.json

    init(realm: String) { self.realm = realm }

    /// This configuration with another serialization.
    func speaking(_ serialization: WampSerialization) -> PeerConfig {
        var copy = self
        copy.serialization = serialization
        return copy
    }
}
