/// Why a TLS file could not be used; every case names the file, as the operator wrote it in the
/// config, so the message says which one to fix.
public enum TLSFileError: Error, Equatable, Sendable, CustomStringConvertible {
    case missing(path: String, role: String)
    case unreadable(path: String, role: String, reason: String)
    /// The file holds no `-----BEGIN ...-----` block at all (DER, or not a key or certificate).
    case notPEM(path: String, role: String)
    /// PEM armour, but what is inside cannot be loaded (bad base64, wrong type, encrypted key).
    case invalidPEM(path: String, role: String, reason: String)
    case keyDoesNotMatchCertificate(keyPath: String, certificatePath: String)
    /// The TLS library refused the key and certificate as a server identity.
    case rejected(reason: String)

    public var description: String {
        switch self {
        case .missing(let path, let role): "\(role) \(path): no such file"
        case .unreadable(let path, let role, let reason): "\(role) \(path): cannot be read (\(reason))"
        case .notPEM(let path, let role): "\(role) \(path): not a PEM file (no -----BEGIN ...----- block)"
        case .invalidPEM(let path, let role, let reason): "\(role) \(path): \(reason)"
        case .keyDoesNotMatchCertificate(let keyPath, let certificatePath):
            "TLS key \(keyPath) does not match the certificate \(certificatePath) (its public key differs)"
        case .rejected(let reason): "TLS key and certificate refused by the TLS library: \(reason)"
        }
    }
}
