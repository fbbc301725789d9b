import Crypto

/// TLS 1.3 exporter (RFC 8446 section 7.5) computed from the exporter master secret, which
/// swift-nio-ssl hands out only through its key-log callback (it has no call for
/// `SSL_export_keying_material`). Pure, so it is tested against values OpenSSL exported.
package enum TLSExporter {
    /// RFC 9266 label for `tls-exporter` channel binding.
    package static let channelBindingLabel = "EXPORTER-Channel-Binding"

    /// The exporter master secret of an NSS key-log line (`EXPORTER_SECRET <client random>
    /// <secret>`), nil for any other line. Its length names the hash (32: SHA-256, 48: SHA-384).
    package static func exporterSecret(keyLogLine line: String) -> [UInt8]? {
        let fields = line.split(separator: " ")
        guard fields.count == 3, fields[0] == "EXPORTER_SECRET" else { return nil }
        guard let secret = self.bytes(hex: fields[2]), secret.count == 32 || secret.count == 48 else { return nil }
        return secret
    }

    /// TLS-Exporter(label, context, length) = HKDF-Expand-Label(Derive-Secret(secret, label, ""),
    /// "exporter", Hash(context), length). RFC 9266 binding: no context, which TLS 1.3 treats as
    /// the empty one, and 32 bytes.
    package static func export(secret: [UInt8], label: String, context: [UInt8] = [], length: Int) -> [UInt8]? {
        switch secret.count {
        case 32: self.export(SHA256.self, secret: secret, label: label, context: context, length: length)
        case 48: self.export(SHA384.self, secret: secret, label: label, context: context, length: length)
        default: nil
        }
    }

    private static func export<H: HashFunction>(
        _ hash: H.Type, secret: [UInt8], label: String, context: [UInt8], length: Int
    ) -> [UInt8]? {
        guard length > 0, length <= 255 * H.Digest.byteCount else { return nil }
        let emptyHash = Array(H.hash(data: [UInt8]()))
        let derived = self.expandLabel(hash, secret: secret, label: label, context: emptyHash, length: H.Digest.byteCount)
        let contextHash = Array(H.hash(data: context))
        return self.expandLabel(hash, secret: derived, label: "exporter", context: contextHash, length: length)
    }

    /// HKDF-Expand-Label (RFC 8446 section 7.1).
    private static func expandLabel<H: HashFunction>(
        _ hash: H.Type, secret: [UInt8], label: String, context: [UInt8], length: Int
    ) -> [UInt8] {
        let fullLabel = Array("tls13 \(label)".utf8)
        var info: [UInt8] = [UInt8(length >> 8), UInt8(length & 0xFF), UInt8(fullLabel.count)]
        info += fullLabel
        info.append(UInt8(context.count))
        info += context
        let key = HKDF<H>.expand(pseudoRandomKey: SymmetricKey(data: secret), info: info, outputByteCount: length)
        return key.withUnsafeBytes { Array($0) }
    }

    package static func bytes(hex: Substring) -> [UInt8]? {
        guard hex.utf8.count.isMultiple(of: 2) else { return nil }
        var result: [UInt8] = []
        result.reserveCapacity(hex.utf8.count / 2)
        var high: UInt8?
        for byte in hex.utf8 {
            let nibble: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            if let first = high {
                result.append(first << 4 | nibble)
                high = nil
            } else {
                high = nibble
            }
        }
        return result
    }
}
