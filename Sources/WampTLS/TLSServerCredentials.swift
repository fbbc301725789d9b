import Crypto
import Foundation
import NIOSSL
import _CryptoExtras

/// A listener's TLS identity read from PEM files (Crossbar's endpoint `tls` keys `key`,
/// `certificate`, `chain_certificates`, `ca_certificates`), checked once at start-up: every
/// problem is a `TLSFileError` naming the file. Files are read once; a SIGHUP does not reload
/// them (a restart does).
public struct TLSServerCredentials: Sendable {
    public let certificateChain: [NIOSSLCertificate]
    public let privateKey: NIOSSLPrivateKey
    /// CAs that client certificates must chain to; empty: no client certificate is asked for.
    public let clientCertificateAuthorities: [NIOSSLCertificate]

    /// - Parameters:
    ///   - certificatePath: the server certificate, optionally followed by its chain.
    ///   - chainCertificatePaths: further intermediate certificates, in chain order.
    ///   - caCertificatePaths: CA certificates for verifying client certificates; when given, a
    ///     client without a certificate that chains to one of them is refused (as Crossbar does).
    public static func load(
        keyPath: String,
        certificatePath: String,
        chainCertificatePaths: [String] = [],
        caCertificatePaths: [String] = []
    ) throws -> TLSServerCredentials {
        let certificates = try self.certificates(at: certificatePath, role: "TLS certificate")
        let chain = try chainCertificatePaths.flatMap { try self.certificates(at: $0, role: "TLS chain certificate") }
        let authorities = try caCertificatePaths.flatMap { try self.certificates(at: $0, role: "TLS CA certificate") }
        let keyPEM = try self.pemText(at: keyPath, role: "TLS key")
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(bytes: Array(keyPEM.utf8), format: .pem)
        } catch {
            let reason = keyPEM.contains("ENCRYPTED")
                ? "an encrypted private key (store it without a passphrase)" : "not a readable private key (\(error))"
            throw TLSFileError.invalidPEM(path: keyPath, role: "TLS key", reason: reason)
        }
        if let keySPKI = self.publicKeyDER(ofPrivateKeyPEM: keyPEM),
            let certificateSPKI = try? certificates[0].extractPublicKey().toSPKIBytes(),
            keySPKI != certificateSPKI
        {
            throw TLSFileError.keyDoesNotMatchCertificate(keyPath: keyPath, certificatePath: certificatePath)
        }
        let credentials = TLSServerCredentials(
            certificateChain: certificates + chain, privateKey: key, clientCertificateAuthorities: authorities)
        // BoringSSL checks the pair as well (also for key types swift-crypto does not read).
        do {
            _ = try NIOSSLContext(configuration: credentials.serverConfiguration())
        } catch {
            throw TLSFileError.rejected(reason: "key \(keyPath), certificate \(certificatePath): \(error)")
        }
        return credentials
    }

    /// The server's TLS settings: TLS 1.2 at least, 1.3 preferred, client certificates required
    /// only with CA certificates. Session resumption is off, as in Crossbar (and needed here:
    /// each connection gets its own context, see `TLSTransportSecurity`).
    func serverConfiguration(keyLog: NIOSSLKeyLogCallback? = nil) -> TLSConfiguration {
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: self.certificateChain.map { .certificate($0) },
            privateKey: .privateKey(self.privateKey)
        )
        configuration.minimumTLSVersion = .tlsv12
        configuration.maximumTLSVersion = .tlsv13
        if !self.clientCertificateAuthorities.isEmpty {
            configuration.certificateVerification = .noHostnameVerification
            configuration.trustRoots = .certificates(self.clientCertificateAuthorities)
            configuration.sendCANameList = true
        }
        configuration.keyLogCallback = keyLog
        return configuration
    }

    static func certificates(at path: String, role: String) throws -> [NIOSSLCertificate] {
        let text = try self.pemText(at: path, role: role)
        guard text.contains("-----BEGIN CERTIFICATE-----") else {
            throw TLSFileError.invalidPEM(path: path, role: role, reason: "no -----BEGIN CERTIFICATE----- block")
        }
        do {
            let certificates = try NIOSSLCertificate.fromPEMBytes(Array(text.utf8))
            guard !certificates.isEmpty else {
                throw TLSFileError.invalidPEM(path: path, role: role, reason: "no certificate in the file")
            }
            return certificates
        } catch let error as TLSFileError {
            throw error
        } catch {
            throw TLSFileError.invalidPEM(path: path, role: role, reason: "not a readable certificate (\(error))")
        }
    }

    static func pemText(at path: String, role: String) throws -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw TLSFileError.missing(path: path, role: role)
        }
        guard !isDirectory.boolValue else {
            throw TLSFileError.unreadable(path: path, role: role, reason: "a directory")
        }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            let reason = FileManager.default.isReadableFile(atPath: path) ? "\(error.localizedDescription)" : "permission denied"
            throw TLSFileError.unreadable(path: path, role: role, reason: reason)
        }
        guard let text = String(data: data, encoding: .utf8), text.contains("-----BEGIN ") else {
            throw TLSFileError.notPEM(path: path, role: role)
        }
        return text
    }

    /// SubjectPublicKeyInfo DER of a PEM private key, for the key types swift-crypto reads (RSA,
    /// P-256, P-384, P-521); nil for others, which BoringSSL's own check covers.
    static func publicKeyDER(ofPrivateKeyPEM pem: String) -> [UInt8]? {
        if let key = try? _RSA.Signing.PrivateKey(pemRepresentation: pem) { return Array(key.publicKey.derRepresentation) }
        if let key = try? P256.Signing.PrivateKey(pemRepresentation: pem) { return Array(key.publicKey.derRepresentation) }
        if let key = try? P384.Signing.PrivateKey(pemRepresentation: pem) { return Array(key.publicKey.derRepresentation) }
        if let key = try? P521.Signing.PrivateKey(pemRepresentation: pem) { return Array(key.publicKey.derRepresentation) }
        return nil
    }
}
