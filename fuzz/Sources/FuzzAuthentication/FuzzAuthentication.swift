import NIOCore
import WampAuth
import WampMessages

/// libFuzzer entry: one session's authentication, from HELLO to WELCOME or ABORT, as
/// `AuthenticationFlowStep` drives `AuthenticationFlow` in the router.
///
/// - byte 0, bit 0: the transport's configuration: 0 static principals (`AuthFixture.staticAuth`),
///   1 every method dynamic (`AuthFixture.dynamicAuth`)
/// - byte 0, bits 1-2: how the authenticator call ends: 0 with the answer below, 1 ERROR
///   `com.example.refused`, 2 timeout, 3 no such procedure
/// - byte 0, bit 3: the connection has `tls-exporter` channel binding data
/// - byte 0, bit 4: once the flow stops, poke it with the inputs it does not expect
/// - the rest, LF-separated: the HELLO as a WAMP message text (`[1,"realm1",{...}]`, through
///   `MessageDecoder.decode` and `AuthHello(_:)` as the router reads it), the AUTHENTICATE
///   message text (`[5,"signature",{}]`), and the authenticator's answer (JSON text, through
///   `JSONValue.parse`). Each is used at most once, when the flow asks for it.
///
/// `FUZZ_TRACE=1` prints the flow's actions (no argument values: they may hold a ticket).
///
/// Challenges are deterministic (fixed random bytes, clock and session), so seeds can hold valid
/// signatures. Checked besides "no trap, leak or memory error": with static principals an
/// AUTHENTICATE is welcomed exactly when it holds the configured ticket, the WAMP-CRA signature
/// of the challenge as sent (computed here from the configured secret), or a valid Ed25519
/// signature of the challenge (XOR the binding) by the principal's key; every credential
/// failure is the one `not_authorized` answer; a dynamic welcome carries exactly the role, realm
/// and authid the answer gave and, for wampcra and cryptosign, only follows a correct signature
/// for the answer's secret or key; no failed authenticator call welcomes; every welcome passes
/// placement; the state flags follow the actions; out-of-state inputs abort; and no ABORT
/// message or log detail holds a configured secret the input did not contain.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAuthentication(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let input = UnsafeBufferPointer(start: data, count: size)
    let flags = input[0]
    let parts = Array(input[1...]).split(separator: UInt8(ascii: "\n"), maxSplits: 2, omittingEmptySubsequences: false)
    guard case .hello(let helloMessage)? = try? MessageDecoder.decode(ByteBuffer(bytes: parts[0])) else { return 0 }
    // The router refuses such a HELLO with protocol_violation before any method runs.
    guard let hello = AuthHello(helloMessage) else { return 0 }
    let authenticate: Authenticate?
    if parts.count > 1, case .authenticate(let message)? = try? MessageDecoder.decode(ByteBuffer(bytes: parts[1])) {
        authenticate = message
    } else {
        authenticate = nil
    }
    let answerText = parts.count > 2 ? String(decoding: parts[2], as: UTF8.self) : nil
    let parsedAnswer = answerText.flatMap(JSONValue.parse)
    let outcome: Swift.Result<JSONValue, AuthenticatorFailure>?
    switch Int(flags >> 1) & 3 {
    case 0: outcome = parsedAnswer.map { .success($0) }
    case 1: outcome = .failure(.error(uri: AuthFixture.refusalURI, message: "no"))
    case 2: outcome = .failure(.timeout)
    default: outcome = .failure(.noSuchProcedure)
    }
    if case .success(let answer)? = outcome, !AuthFixture.isCheap(answer) { return 0 }

    var session = SessionRun(
        dynamic: flags & 1 != 0, hello: hello, binding: flags & 8 != 0 ? AuthFixture.binding : nil,
        authenticate: authenticate, outcome: outcome,
        peerTexts: [helloMessage.realm, helloMessage.details.jsonText, authenticate?.signature ?? "",
                    authenticate?.extra.jsonText ?? "", answerText ?? "", parsedAnswer?.jsonText ?? ""])
    session.run()
    if flags & 16 != 0 { session.pokeOutOfState() }
    return 0
}

/// Lower- or upper-case hex, written here rather than taken from `WampAuth.Hex`, which it checks.
func hexBytes(_ text: String) -> [UInt8]? {
    let digits = Array(text.utf8)
    guard digits.count % 2 == 0 else { return nil }
    func value(_ digit: UInt8) -> UInt8? {
        switch digit {
        case 48...57: digit - 48
        case 65...70: digit - 55
        case 97...102: digit - 87
        default: nil
        }
    }
    var bytes: [UInt8] = []
    for index in stride(from: 0, to: digits.count, by: 2) {
        guard let high = value(digits[index]), let low = value(digits[index + 1]) else { return nil }
        bytes.append(high << 4 | low)
    }
    return bytes
}

/// Byte-wise substring test (`String.contains` compares `Character`s, which a combining mark
/// after the match would hide).
func utf8Contains(_ text: String, _ needle: String) -> Bool {
    let haystack = Array(text.utf8), pattern = Array(needle.utf8)
    guard pattern.count <= haystack.count else { return false }
    return (0...(haystack.count - pattern.count)).contains { haystack[$0..<($0 + pattern.count)].elementsEqual(pattern) }
}
