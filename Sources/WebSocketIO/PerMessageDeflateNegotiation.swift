/// permessage-deflate parameter negotiation (RFC 7692 section 7.1). Pure functions over parsed
/// `Sec-WebSocket-Extensions` values, so they are tested without a channel.
public enum PerMessageDeflateNegotiation {
    public static let extensionName = "permessage-deflate"

    /// Server side: walk the client's offers in order and accept the first permessage-deflate
    /// offer we can honour. Offers with unknown parameters, duplicated parameters or invalid values
    /// are declined (RFC 7692 section 5: "MUST decline an offer ... with invalid parameters").
    ///
    /// - Parameter serverContextTakeover: false: every accepted offer is answered with
    ///   `server_no_context_takeover`, whether the client asked for it or not (RFC 7692 section
    ///   7.1.1.1 lets the server add it), so the server compresses each message on its own and one
    ///   compressed frame can be shared by every such connection (`WebSocketFrameCache`).
    /// - Returns: the configuration for the server and the `Sec-WebSocket-Extensions` response value,
    ///   or `nil` when no offer is acceptable (the connection then runs without compression).
    public static func serverAccept(
        offers: [WebSocketExtensionParameters],
        serverContextTakeover: Bool = true
    ) -> (configuration: PerMessageDeflateConfiguration, response: WebSocketExtensionParameters)? {
        for offer in offers where offer.name.lowercased() == extensionName {
            if let accepted = self.serverAccept(offer: offer, serverContextTakeover: serverContextTakeover) {
                return accepted
            }
        }
        return nil
    }

    static func serverAccept(
        offer: WebSocketExtensionParameters,
        serverContextTakeover: Bool = true
    ) -> (configuration: PerMessageDeflateConfiguration, response: WebSocketExtensionParameters)? {
        var serverNoContextTakeover = !serverContextTakeover
        var clientNoContextTakeover = false
        var serverMaxWindowBits: Int? = nil
        var clientMaxWindowBits: Int? = nil
        var seen = Set<String>()
        for parameter in offer.parameters {
            let name = parameter.name.lowercased()
            guard seen.insert(name).inserted else { return nil }  // duplicated parameter
            switch name {
            case "server_no_context_takeover":
                guard parameter.value == nil else { return nil }
                serverNoContextTakeover = true
            case "client_no_context_takeover":
                guard parameter.value == nil else { return nil }
                clientNoContextTakeover = true
            case "server_max_window_bits":
                guard let bits = parameter.value.flatMap(parseWindowBits) else { return nil }
                serverMaxWindowBits = bits
            case "client_max_window_bits":
                if let value = parameter.value {
                    guard let bits = parseWindowBits(value) else { return nil }
                    clientMaxWindowBits = bits
                }
            default:
                return nil  // unknown parameter: decline this offer
            }
        }
        // We never need to limit the client's window (we inflate with 15 bits), so we only echo a
        // client_max_window_bits value the client itself proposed.
        var response = WebSocketExtensionParameters(name: extensionName)
        if serverNoContextTakeover {
            response.parameters.append(.init(name: "server_no_context_takeover", value: nil))
        }
        if clientNoContextTakeover {
            response.parameters.append(.init(name: "client_no_context_takeover", value: nil))
        }
        if let serverMaxWindowBits {
            response.parameters.append(.init(name: "server_max_window_bits", value: String(serverMaxWindowBits)))
        }
        if let clientMaxWindowBits {
            response.parameters.append(.init(name: "client_max_window_bits", value: String(clientMaxWindowBits)))
        }
        let configuration = PerMessageDeflateConfiguration(
            sendMaxWindowBits: serverMaxWindowBits ?? 15,
            sendNoContextTakeover: serverNoContextTakeover,
            receiveMaxWindowBits: clientMaxWindowBits ?? 15,
            receiveNoContextTakeover: clientNoContextTakeover
        )
        return (configuration, response)
    }

    /// Client side: the offer we send.
    public static let clientOffer = WebSocketExtensionParameters(
        name: extensionName,
        parameters: [.init(name: "client_max_window_bits", value: nil)]
    )

    public enum ClientError: Error, Equatable {
        case invalidResponse(String)
    }

    /// Client side: validate the server's response to `clientOffer`.
    /// - Returns: `nil` when the server did not accept permessage-deflate.
    public static func clientAccept(
        response: [WebSocketExtensionParameters]
    ) throws(ClientError) -> PerMessageDeflateConfiguration? {
        guard !response.isEmpty else { return nil }
        guard response.count == 1, response[0].name.lowercased() == extensionName else {
            throw .invalidResponse("server accepted an extension we did not offer")
        }
        var configuration = PerMessageDeflateConfiguration()
        var seen = Set<String>()
        for parameter in response[0].parameters {
            let name = parameter.name.lowercased()
            guard seen.insert(name).inserted else { throw .invalidResponse("duplicated parameter \(name)") }
            switch name {
            case "server_no_context_takeover":
                guard parameter.value == nil else { throw .invalidResponse("server_no_context_takeover has a value") }
                configuration.receiveNoContextTakeover = true
            case "client_no_context_takeover":
                guard parameter.value == nil else { throw .invalidResponse("client_no_context_takeover has a value") }
                configuration.sendNoContextTakeover = true
            case "server_max_window_bits":
                guard let bits = parameter.value.flatMap(parseWindowBits) else {
                    throw .invalidResponse("invalid server_max_window_bits")
                }
                configuration.receiveMaxWindowBits = bits
            case "client_max_window_bits":
                guard let bits = parameter.value.flatMap(parseWindowBits) else {
                    throw .invalidResponse("invalid client_max_window_bits")
                }
                configuration.sendMaxWindowBits = bits
            default:
                throw .invalidResponse("unknown parameter \(name)")
            }
        }
        return configuration
    }

    /// 8...15, decimal, no leading zero (RFC 7692 section 7.1.2).
    static func parseWindowBits(_ value: String) -> Int? {
        let utf8 = Array(value.utf8)
        guard (1...2).contains(utf8.count), utf8[0] != UInt8(ascii: "0"),
            utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
            let bits = Int(value), (8...15).contains(bits)
        else { return nil }
        return bits
    }
}
