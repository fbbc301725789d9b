import NIOHTTP1

/// Pure decisions of the server-side opening handshake: subprotocol choice and extensions.
public enum WebSocketUpgradeNegotiation {
    public enum SubprotocolChoice: Equatable, Sendable {
        /// Use this subprotocol (echoed in `Sec-WebSocket-Protocol`).
        case selected(String)
        /// Upgrade without a subprotocol.
        case none
        /// Refuse the upgrade: the client offered none of ours and one is required.
        case refused(supported: [String])
    }

    /// All subprotocols offered by the client, in its order (header may repeat, values are comma
    /// separated).
    public static func offeredSubprotocols(_ headers: HTTPHeaders) -> [String] {
        headers["Sec-WebSocket-Protocol"].flatMap { value in
            value.split(separator: ",").map { $0.trimmingSpaces() }.filter { !$0.isEmpty }
        }
    }

    /// Picks the first subprotocol the client offered that the server supports: the client's
    /// order is its preference (a WAMP client lists the serializer it wants first).
    public static func chooseSubprotocol(offered: [String], supported: [String], required: Bool) -> SubprotocolChoice {
        for candidate in offered where supported.contains(candidate) {
            return .selected(candidate)
        }
        return required ? .refused(supported: supported) : .none
    }

    /// Text of the HTTP 400 body when no subprotocol matched.
    public static func refusalBody(offered: [String], supported: [String]) -> String {
        let offeredText = offered.isEmpty ? "none" : offered.joined(separator: ", ")
        return "WebSocket upgrade refused: no supported subprotocol offered (offered: \(offeredText)). "
            + "Supported subprotocols: \(supported.joined(separator: ", "))\n"
    }
}

extension Substring {
    func trimmingSpaces() -> String {
        var view = self[...]
        while let first = view.first, first == " " || first == "\t" { view = view.dropFirst() }
        while let last = view.last, last == " " || last == "\t" { view = view.dropLast() }
        return String(view)
    }
}
