import Foundation
import Realm

/// WAMP realms and URIs as NATS subjects (docs/cluster.md "Subjects"). Pure and reversible.
///
/// A URI component becomes one subject token: `%`, `*`, `>`, space, tab, CR and LF (what NATS
/// reserves or splits on) are percent-escaped, and so is every `.` of a realm name (a realm is
/// one token). An empty component, possible only in a wildcard pattern, is the token `%`, which
/// no escaped component can be (an escaped `%` is always followed by two hex digits).
package enum ClusterSubject {
    /// `wamp.<realm>.ev.` before a topic's tokens.
    package static func eventPrefix(realm: String) -> String { "wamp.\(escape(realm, dots: true)).ev" }

    /// `wamp.<realm>.rt`: every node of the realm listens here for retained publications, which
    /// it stores whether or not it has subscribers for the topic (docs/cluster.md "Retained events").
    package static func retained(realm: String) -> String { "wamp.\(escape(realm, dots: true)).rt" }

    /// The subject a publication to `topic` (a concrete URI) is published on.
    package static func event(realm: String, topic: String) -> String {
        eventPrefix(realm: realm) + "." + tokens(topic)
    }

    /// The NATS subscription of a WAMP subscription: exact and wildcard map one to one (both
    /// match one component per token); a prefix listens to its complete leading components
    /// (`a.b` -> `a.>`, since WAMP's prefix is a string prefix and `a.b` matches `a.bx`), and the
    /// receiving node filters what NATS cannot (`needsFilter`).
    package static func interest(realm: String, topic: String, match: MatchPolicy) -> (subject: String, needsFilter: Bool) {
        let prefix = eventPrefix(realm: realm)
        switch match {
        case .exact:
            return (prefix + "." + tokens(topic), false)
        case .wildcard:
            let parts = topic.split(separator: ".", omittingEmptySubsequences: false)
            return (prefix + "." + parts.map { $0.isEmpty ? "*" : escape(String($0), dots: false) }.joined(separator: "."), false)
        case .prefix:
            var parts = topic.split(separator: ".", omittingEmptySubsequences: false)
            // The last component may continue (`a.b` matches `a.bx`): only the ones before it are
            // complete. `a.b.` ends in an empty component: `a.b` is complete.
            parts.removeLast()
            let complete = parts.map { escape(String($0), dots: false) }
            return ((([prefix] + complete) + [">"]).joined(separator: "."), true)
        }
    }

    /// The topic's components as tokens.
    package static func tokens(_ topic: String) -> String {
        topic.split(separator: ".", omittingEmptySubsequences: false)
            .map { escape(String($0), dots: false) }.joined(separator: ".")
    }

    /// One token for `component`; with `dots`, its `.` too (realm names).
    package static func escape(_ component: String, dots: Bool) -> String {
        if component.isEmpty { return "%" }
        var needs = false
        for byte in component.utf8 where Self.escaped(byte, dots: dots) {
            needs = true
            break
        }
        guard needs else { return component }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(component.utf8.count + 8)
        for byte in component.utf8 {
            if escaped(byte, dots: dots) {
                bytes.append(UInt8(ascii: "%"))
                bytes.append(hex(byte >> 4))
                bytes.append(hex(byte & 0x0F))
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The component a token came from; nil for a token `escape` cannot have made.
    package static func unescape(_ token: String) -> String? {
        if token == "%" { return "" }
        guard token.utf8.contains(UInt8(ascii: "%")) else { return token }
        return token.removingPercentEncoding
    }

    private static func escaped(_ byte: UInt8, dots: Bool) -> Bool {
        switch byte {
        case UInt8(ascii: "%"), UInt8(ascii: "*"), UInt8(ascii: ">"), 0x20, 0x09, 0x0D, 0x0A: true
        case UInt8(ascii: "."): dots
        default: false
        }
    }

    private static func hex(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "A") + nibble - 10
    }
}
