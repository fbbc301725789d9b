import AdminHTTP
import Foundation
import NIOCore

/// libFuzzer entry: `Authorization` header values as a peer sends them to the admin listener
/// (a `Bearer` token or `Basic` base64 of `user:password`), decided by `AdminCredentials`.
///
/// Input: the header values, separated by `\n` (a request may carry several); each is offered to
/// a credential set with a token and basic auth (`admin` / `pw:with:colons`), from a remote peer.
///
/// Every input must get a decision, never a trap or a leak. What must hold: a request is let in
/// only when one of its values is, after trimming, `Bearer` (any case) and the exact token, or
/// `Basic` (any case) and base64 that decodes to exactly `admin:pw:with:colons`; else 401, never
/// 403 (credentials are configured, so a remote peer may present them). The Basic decoder gives
/// back what Foundation's standard base64 does.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAdminCredentials(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let values = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    let token = "s3cr3t-t0ken"
    let userPassword = "admin:pw:with:colons"
    let credentials = AdminCredentials(token: token, basicUser: "admin", basicPassword: "pw:with:colons")
    let remote = try! SocketAddress(ipAddress: "198.51.100.7", port: 40000)
    let decision = credentials.decide(remote: remote, authorization: values)
    precondition(decision != .forbidden, "a remote peer was refused before its credentials were looked at")

    func expectedAccepts(_ header: String) -> Bool {
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2 else { return false }
        var secret = parts[1]
        while let first = secret.first, first == " " || first == "\t" { secret.removeFirst() }
        while let last = secret.last, last == " " || last == "\t" { secret.removeLast() }
        switch parts[0].lowercased() {
        case "bearer": return Array(secret.utf8) == Array(token.utf8)
        case "basic": return Data(base64Encoded: String(secret)).map { Array($0) } == Array(userPassword.utf8)
        default: return false
        }
    }
    let expected = values.contains(where: expectedAccepts)
    precondition((decision == .allowed) == expected, "decision \(decision) for \(values.map { Array($0.utf8) })")
    return 0
}
