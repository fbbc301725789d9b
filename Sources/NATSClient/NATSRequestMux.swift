import NIOCore

/// Requests awaiting replies on the one inbox subscription `<prefix>.*` (`_INBOX.<random>`):
/// each request gets its own last token, so one SUB serves all of them. Confined to the
/// connection's event loop; bounded by `limit`.
struct NATSRequestMux {
    let prefix: String
    let limit: Int
    private var next: UInt64 = 0
    private var pending: [String: (promise: EventLoopPromise<NATSMessage>, timeout: Scheduled<Void>)] = [:]

    init(limit: Int) {
        self.prefix = "_INBOX." + NATSRequestMux.randomToken()
        self.limit = limit
    }

    var count: Int { pending.count }
    var wildcardSubject: String { prefix + ".*" }

    /// A fresh reply subject, or nil when `limit` requests are already waiting.
    mutating func nextReplySubject() -> (token: String, subject: String)? {
        guard pending.count < limit else { return nil }
        next &+= 1
        let token = String(next, radix: 36)
        return (token, prefix + "." + token)
    }

    mutating func add(token: String, promise: EventLoopPromise<NATSMessage>, timeout: Scheduled<Void>) {
        pending[token] = (promise, timeout)
    }

    /// Completes the request the reply is for (a 503 status is `noResponders`); a reply for no
    /// pending request (late, after its timeout) is dropped.
    mutating func deliver(_ message: NATSMessage) {
        guard message.subject.hasPrefix(prefix), message.subject.utf8.count > prefix.utf8.count + 1 else { return }
        let token = String(message.subject.dropFirst(prefix.count + 1))
        guard let entry = pending.removeValue(forKey: token) else { return }
        entry.timeout.cancel()
        if message.status == 503 {
            entry.promise.fail(NATSError.noResponders)
        } else {
            entry.promise.succeed(message)
        }
    }

    mutating func fail(token: String, with error: NATSError) {
        guard let entry = pending.removeValue(forKey: token) else { return }
        entry.timeout.cancel()
        entry.promise.fail(error)
    }

    mutating func failAll(with error: NATSError) {
        let entries = pending
        pending = [:]
        for entry in entries.values {
            entry.timeout.cancel()
            entry.promise.fail(error)
        }
    }

    /// 22 characters of base-62 from the system CSPRNG: inbox names must not be guessable by
    /// other clients of the server, who could otherwise answer requests they were not sent.
    static func randomToken() -> String {
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
        var generator = SystemRandomNumberGenerator()
        return String((0..<22).map { _ in alphabet[Int(generator.next(upperBound: UInt64(alphabet.count)))] })
    }
}
