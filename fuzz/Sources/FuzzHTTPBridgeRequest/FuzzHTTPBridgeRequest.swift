import HTTPBridge
import NIOCore
import RouterConfig
import WampMessages

/// libFuzzer entry: what a client controls of one HTTP bridge request, its request target (the
/// query) and its body, through the bridge's pure parsing: `QueryParameters`, the signature
/// check of a signed path (`RequestSignature`) and the JSON body (`BridgeRequestBody`).
///
/// Input: byte 0 chooses the body's URI field (even: `topic`, odd: `procedure`); then the request
/// target up to the first `\n` (the rest of the input is the body, as raw bytes).
///
/// Every input must get an answer, never a trap or a leak (the body is parsed with jansson). What
/// must hold: at most `maxParameters` parameters are kept; a signature the check accepts is the
/// one `RequestSignature.signature` computes for the same fields and body (nothing else passes),
/// and the same request signed right passes whenever its timestamp parses (and seq and nonce are
/// integers); a body that parses has an object of options, a list of args and a dictionary of
/// kwargs when it has them.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTPBridgeRequest(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    let uriField = input[0] % 2 == 0 ? "topic" : "procedure"
    let rest = input[1...]
    let newline = rest.firstIndex(of: UInt8(ascii: "\n")) ?? rest.endIndex
    let target = String(decoding: rest[rest.startIndex..<newline], as: UTF8.self)
    let body = newline < rest.endIndex ? Array(rest[(newline + 1)...]) : []

    let query = QueryParameters(uri: target)
    precondition(query.values.count <= QueryParameters.maxParameters, "more parameters kept than the bound")

    let signing = HTTPBridgeOptions.Signing(key: "foobar", secret: "kkjH68GiuUZ")
    let check = RequestSignature(signing: signing, timestampDeltaLimit: 300)
    let now: Int64 = 1_318_611_591_123
    if case .success(let accepted) = check.check(query, body: body, nowMilliseconds: now) {
        let expected = RequestSignature.signature(key: query["key"]!, timestamp: query["timestamp"]!, seq: query["seq"]!,
                                                  nonce: query["nonce"]!, body: body, secret: signing.secret)
        precondition(accepted.signature == expected, "a signature other than the right one was accepted")
    }
    // The same fields signed right: accepted when they are well formed and the time is in the window.
    if let timestamp = query["timestamp"], let sent = BridgeTimestamp.millisecondsSince1970(timestamp) {
        let seq = query["seq"] ?? "1"
        let nonce = query["nonce"] ?? "2"
        let signature = RequestSignature.signature(key: "foobar", timestamp: timestamp, seq: seq, nonce: nonce, body: body,
                                                   secret: signing.secret)
        let signed = QueryParameters(uri: "/p?" + [("key", "foobar"), ("timestamp", timestamp), ("seq", seq), ("nonce", nonce),
                                               ("signature", signature)].map { "\($0)=\(percentEncoded($1))" }.joined(separator: "&"))
        let result = check.check(signed, body: body, nowMilliseconds: sent)
        switch result {
        case .success(let accepted):
            precondition(accepted.signature == signature, "accepted under another signature")
        case .failure(.malformedSignatureField(let field, _)):
            precondition(field == "seq" || field == "nonce", "a parsed timestamp was called malformed")
        case .failure(let refusal):
            preconditionFailure("a request signed right was refused: \(refusal)")
        }
    }

    var buffer = ByteBuffer()
    buffer.writeBytes(body)
    if case .success(let parsed) = BridgeRequestBody.parse(buffer, uriField: uriField) {
        precondition(parsed.options.isObject, "options are not an object")
        if let arguments = parsed.arguments { precondition(arguments.parsed()?.isArray == true, "args that are not a list") }
        if let kwargs = parsed.argumentsKw { precondition(kwargs.parsed()?.isObject == true, "kwargs that are not a dictionary") }
    }
    return 0
}

/// Every byte but unreserved ones as `%XX`, so the query parser gives the value back as is.
private func percentEncoded(_ text: String) -> String {
    var out = ""
    for byte in text.utf8 {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
            out.unicodeScalars.append(Unicode.Scalar(byte))
        default:
            let hex = Array("0123456789ABCDEF".utf8)
            out += "%" + String(decoding: [hex[Int(byte >> 4)], hex[Int(byte & 15)]], as: UTF8.self)
        }
    }
    return out
}
