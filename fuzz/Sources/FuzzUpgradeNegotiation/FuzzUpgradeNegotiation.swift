import NIOCore
import NIOHTTP1
import WebSocketIO

/// libFuzzer entry: the header block of an HTTP upgrade request, as text lines `Name: value`
/// (CR LF or LF). Byte 0 chooses the server's settings: bit 0 permessage-deflate accepted, bit 1
/// subprotocol required, bit 2 two subprotocols supported instead of one.
///
/// Drives `WebSocketServer.negotiate` (subprotocol choice and permessage-deflate) and the parsers
/// under it. Checked besides "no trap, leak or memory error": a chosen subprotocol is one the
/// server supports and the client offered; an extension response parses again and is accepted by
/// our own client side; negotiated window bits are 8...15; a parsed extension list whose values
/// are all tokens serialises to a header value that parses back to the same list.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzUpgradeNegotiation(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let input = UnsafeBufferPointer(start: data, count: size)
    let flags = input[0]
    var configuration = WebSocketServerConfiguration()
    configuration.permessageDeflate = flags & 1 != 0
    configuration.requireSubprotocol = flags & 2 != 0
    configuration.subprotocols = flags & 4 != 0 ? ["wamp.2.json", "wamp.2.msgpack"] : ["wamp.2.json"]

    var headers = HTTPHeaders()
    let text = String(decoding: UnsafeBufferPointer(rebasing: input[1...]), as: UTF8.self)
    for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
        let line = line.hasSuffix("\r") ? line.dropLast() : line
        // NIO's HTTP parser only lets token names through (and `HTTPHeaders` traps on others).
        guard let colon = line.firstIndex(of: ":"), colon != line.startIndex,
            line[..<colon].utf8.allSatisfy(isTokenByte)
        else { continue }
        let value = line[line.index(after: colon)...].drop(while: { $0 == " " || $0 == "\t" })
        headers.add(name: String(line[..<colon]), value: String(value))
    }
    let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/", headers: headers)

    let offered = WebSocketUpgradeNegotiation.offeredSubprotocols(headers)
    let negotiated = WebSocketServer.negotiate(head, configuration: configuration)
    if let negotiated {
        if let subprotocol = negotiated.subprotocol,
            !(configuration.subprotocols.contains(subprotocol) && offered.contains(subprotocol))
        {
            fatalError("chose subprotocol \(subprotocol) that was not both offered and supported")
        }
        if negotiated.subprotocol == nil && configuration.requireSubprotocol {
            fatalError("upgraded without the required subprotocol")
        }
        if let response = negotiated.extensionResponse {
            checkExtensionResponse(response, deflate: negotiated.deflate)
        }
    } else if !configuration.requireSubprotocol {
        fatalError("refused an upgrade although no subprotocol is required")
    }
    _ = WebSocketUpgradeNegotiation.refusalBody(offered: offered, supported: configuration.subprotocols)

    let extensionValues = headers["Sec-WebSocket-Extensions"]
    if let offers = try? WebSocketExtensionParameters.parse(headerValues: extensionValues) {
        checkReserialisation(offers)
        if let accepted = PerMessageDeflateNegotiation.serverAccept(offers: offers) {
            checkExtensionResponse(accepted.response.headerValue, deflate: accepted.configuration)
        }
        // The same text as a server's answer to our client offer: may be refused, must not trap.
        if let configuration = try? PerMessageDeflateNegotiation.clientAccept(response: offers) {
            checkWindowBits(configuration)
        }
    }
    return 0
}

private func checkExtensionResponse(_ response: String, deflate: PerMessageDeflateConfiguration?) {
    guard let deflate else { fatalError("an extension response without a configuration: \(response)") }
    checkWindowBits(deflate)
    let parsed: [WebSocketExtensionParameters]
    do {
        parsed = try WebSocketExtensionParameters.parse(headerValue: response)
    } catch {
        fatalError("our own extension response does not parse: \(response) (\(error))")
    }
    do {
        guard let client = try PerMessageDeflateNegotiation.clientAccept(response: parsed) else {
            fatalError("our client sees no permessage-deflate in \(response)")
        }
        checkWindowBits(client)
        if client.sendNoContextTakeover != deflate.receiveNoContextTakeover
            || client.receiveNoContextTakeover != deflate.sendNoContextTakeover
        {
            fatalError("client and server disagree on context takeover in \(response)")
        }
    } catch {
        fatalError("our client refuses our server's response \(response): \(error)")
    }
}

private func checkWindowBits(_ configuration: PerMessageDeflateConfiguration) {
    guard (8...15).contains(configuration.sendMaxWindowBits), (8...15).contains(configuration.receiveMaxWindowBits) else {
        fatalError("window bits out of 8...15: \(configuration)")
    }
}

private func checkReserialisation(_ offers: [WebSocketExtensionParameters]) {
    guard !offers.isEmpty else { return }
    let allTokens = offers.allSatisfy { offer in
        offer.parameters.allSatisfy { parameter in
            parameter.value.map { !$0.isEmpty && $0.utf8.allSatisfy(isTokenByte) } ?? true
        }
    }
    guard allTokens else { return }
    let text = offers.map(\.headerValue).joined(separator: ", ")
    guard let again = try? WebSocketExtensionParameters.parse(headerValue: text), again == offers else {
        fatalError("extension list does not survive serialisation: \(text)")
    }
}

/// RFC 7230 token characters.
private func isTokenByte(_ byte: UInt8) -> Bool {
    switch byte {
    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
        return true
    default:
        return "!#$%&'*+-.^_`|~".utf8.contains(byte)
    }
}
