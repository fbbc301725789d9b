import Crypto
import Foundation
import SwiftASN1
import X509

/// A CA and a server certificate for localhost / 127.0.0.1, made fresh for each test run, and
/// written as PEM files into a temporary folder the tests remove.
struct TestPKI {
    let caKey = P256.Signing.PrivateKey()
    let serverKey = P256.Signing.PrivateKey()
    let caCertificate: Certificate
    let serverCertificate: Certificate

    init(caName: String = "WAMP test CA") throws {
        let now = Date()
        let caSubject = try DistinguishedName { CommonName(caName) }
        self.caCertificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: .init(self.caKey.publicKey),
            notValidBefore: now - 3600,
            notValidAfter: now + 3600,
            issuer: caSubject,
            subject: caSubject,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                Critical(KeyUsage(keyCertSign: true))
            },
            issuerPrivateKey: .init(self.caKey)
        )
        self.serverCertificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: .init(self.serverKey.publicKey),
            notValidBefore: now - 3600,
            notValidAfter: now + 3600,
            issuer: caSubject,
            subject: try DistinguishedName { CommonName("localhost") },
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames([.dnsName("localhost"), .ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1]))])
            },
            issuerPrivateKey: .init(self.caKey)
        )
    }

    var caPEM: String { get throws { try self.caCertificate.serializeAsPEM().pemString + "\n" } }
    var serverCertificatePEM: String { get throws { try self.serverCertificate.serializeAsPEM().pemString + "\n" } }
    var serverKeyPEM: String { self.serverKey.pemRepresentation + "\n" }
}

/// A temporary folder for a test's files.
final class TemporaryFolder {
    let url: URL

    init() throws {
        self.url = FileManager.default.temporaryDirectory.appendingPathComponent("wamptls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: self.url, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(at: self.url)
    }

    func write(_ name: String, _ text: String) throws -> String {
        try self.write(name, Data(text.utf8))
    }

    func write(_ name: String, _ data: Data) throws -> String {
        let path = self.url.appendingPathComponent(name).path
        try data.write(to: URL(fileURLWithPath: path))
        return path
    }

    func path(_ name: String) -> String { self.url.appendingPathComponent(name).path }
}
