import Synchronization

/// Salted WAMP-CRA keys, derived once per (secret, salting) instead of once per HELLO: PBKDF2
/// with the config's iterations runs on the event loop, and a peer that only knows an authid
/// could otherwise make the router run it as often as it can send HELLO. The entries come from
/// the config file or a trusted authenticator, never from a peer; the table is still bounded
/// (emptied when full) so that an authenticator answering ever new secrets cannot grow it.
enum DerivedKeyCache {
    struct Entry: Hashable {
        let secret: String
        let salting: WampCRA.Salting
    }

    static let maxEntries = 4096
    private static let keys = Mutex<[Entry: String]>([:])

    static func key(secret: String, salting: WampCRA.Salting) -> String? {
        let entry = Entry(secret: secret, salting: salting)
        if let key = keys.withLock({ $0[entry] }) { return key }
        guard let key = WampCRA.deriveKey(secret: secret, salting: salting) else { return nil }
        keys.withLock { keys in
            if keys.count >= maxEntries { keys.removeAll(keepingCapacity: true) }
            keys[entry] = key
        }
        return key
    }
}
