import Crypto
import RouterConfig
import WampAuth

/// Crossbar's signed bridge requests: the query carries `key`, `timestamp` (UTC ISO 8601 with
/// fraction and `Z`, `2011-10-14T16:59:51.123Z`), `seq` and `nonce` (integers) and `signature`,
/// the URL-safe base64 (with `=` padding) of HMAC-SHA256 keyed with the secret over the UTF-8
/// bytes of key, timestamp, seq and nonce exactly as sent, then the raw body, with no separators.
///
/// Pure: the time and the replay memory are passed in. (`package` for the fuzz target.)
package struct RequestSignature {
    let signing: HTTPBridgeOptions.Signing
    let timestampDeltaLimit: Int

    package init(signing: HTTPBridgeOptions.Signing, timestampDeltaLimit: Int) {
        self.signing = signing
        self.timestampDeltaLimit = timestampDeltaLimit
    }

    /// A request that passed: what the replay memory keeps, and until when.
    package struct Accepted: Equatable {
        package let signature: String
        /// After this the timestamp check refuses the request anyway, so it can be forgotten.
        package let expiresAtMilliseconds: Int64
    }

    package func check(_ query: QueryParameters, body: [UInt8], nowMilliseconds: Int64) -> Swift.Result<Accepted, BridgeRefusal> {
        guard let key = query["key"] else { return .failure(.missingSignatureField("key")) }
        guard let timestamp = query["timestamp"] else { return .failure(.missingSignatureField("timestamp")) }
        guard let seq = query["seq"] else { return .failure(.missingSignatureField("seq")) }
        guard let nonce = query["nonce"] else { return .failure(.missingSignatureField("nonce")) }
        guard let signature = query["signature"] else { return .failure(.missingSignatureField("signature")) }
        guard let sent = BridgeTimestamp.millisecondsSince1970(timestamp) else {
            return .failure(.malformedSignatureField("timestamp", "UTC ISO 8601 with fraction and Z, e.g. 2011-10-14T16:59:51.123Z"))
        }
        guard Self.isInteger(seq) else { return .failure(.malformedSignatureField("seq", "an integer")) }
        guard Self.isInteger(nonce) else { return .failure(.malformedSignatureField("nonce", "an integer")) }
        guard SecretComparison.equal(key, signing.key) else { return .failure(.unknownKey) }
        let deltaMilliseconds = Int64(timestampDeltaLimit) * 1000
        guard abs(sent - nowMilliseconds) <= deltaMilliseconds else { return .failure(.timestampOutOfWindow(limitSeconds: timestampDeltaLimit)) }
        let expected = Self.signature(key: key, timestamp: timestamp, seq: seq, nonce: nonce, body: body, secret: signing.secret)
        guard SecretComparison.equal(signature, expected) else { return .failure(.badSignature) }
        return .success(Accepted(signature: signature, expiresAtMilliseconds: max(sent, nowMilliseconds) + deltaMilliseconds))
    }

    /// The signature a client sends for these fields and body.
    package static func signature(key: String, timestamp: String, seq: String, nonce: String, body: [UInt8], secret: String) -> String {
        var message = Array(key.utf8) + Array(timestamp.utf8) + Array(seq.utf8) + Array(nonce.utf8)
        message += body
        let code = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Array(secret.utf8)))
        return URLSafeBase64.encode(Array(code))
    }

    /// Python's `int()` of an ASCII string, as Crossbar checks seq and nonce: optional sign,
    /// digits, surrounding spaces allowed; bounded in length so nothing large is looked at.
    static func isInteger(_ text: String) -> Bool {
        var digits = Substring(text).drop { $0 == " " }
        while digits.last == " " { digits = digits.dropLast() }
        if digits.first == "-" || digits.first == "+" { digits = digits.dropFirst() }
        return !digits.isEmpty && digits.count <= 40 && digits.allSatisfy { ("0"..."9").contains($0) }
    }
}
