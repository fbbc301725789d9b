import WampMessages

/// The `ppt_*` options of payload passthru mode (spec "Payload Passthru Mode"), shared by the
/// broker (PUBLISH -> EVENT) and the dealer (CALL -> INVOCATION, YIELD -> RESULT).
enum PayloadPassthru {
    static let keys = ["ppt_scheme", "ppt_serializer", "ppt_cipher", "ppt_keyid"]

    /// Whether a message's options use passthru mode at all.
    static func isUsed(by options: JSONValue) -> Bool {
        options.count > 0 && keys.contains { options.contains($0) }
    }
}
