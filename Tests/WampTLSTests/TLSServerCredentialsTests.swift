import Crypto
import Foundation
import XCTest

@testable import WampTLS

final class TLSServerCredentialsTests: XCTestCase {
    private var pki: TestPKI!
    private var folder: TemporaryFolder!
    private var keyPath = ""
    private var certificatePath = ""

    override func setUpWithError() throws {
        self.pki = try TestPKI()
        self.folder = try TemporaryFolder()
        self.keyPath = try self.folder.write("server.key", self.pki.serverKeyPEM)
        self.certificatePath = try self.folder.write("server.crt", try self.pki.serverCertificatePEM)
    }

    func testLoadsKeyCertificateAndCA() throws {
        let caPath = try self.folder.write("ca.crt", try self.pki.caPEM)
        let credentials = try TLSServerCredentials.load(
            keyPath: self.keyPath, certificatePath: self.certificatePath, caCertificatePaths: [caPath])
        XCTAssertEqual(credentials.certificateChain.count, 1)
        XCTAssertEqual(credentials.clientCertificateAuthorities.count, 1)
        let configuration = credentials.serverConfiguration()
        XCTAssertEqual(configuration.minimumTLSVersion, .tlsv12)
        XCTAssertEqual(configuration.maximumTLSVersion, .tlsv13)
        XCTAssertEqual(configuration.certificateVerification, .noHostnameVerification, "CA certificates ask for client certificates")
        XCTAssertEqual(try TLSServerCredentials.load(keyPath: self.keyPath, certificatePath: self.certificatePath)
            .serverConfiguration().certificateVerification, .none)
    }

    func testCertificateFileWithChainKeepsEveryCertificate() throws {
        let bundle = try self.folder.write("bundle.crt", try self.pki.serverCertificatePEM + self.pki.caPEM)
        let credentials = try TLSServerCredentials.load(keyPath: self.keyPath, certificatePath: bundle)
        XCTAssertEqual(credentials.certificateChain.count, 2)
    }

    func testMissingFilesAreNamed() {
        let missingKey = self.folder.path("nope.key")
        XCTAssertThrowsError(try TLSServerCredentials.load(keyPath: missingKey, certificatePath: self.certificatePath)) {
            XCTAssertEqual($0 as? TLSFileError, .missing(path: missingKey, role: "TLS key"))
            XCTAssertEqual("\($0)", "TLS key \(missingKey): no such file")
        }
        let missingCertificate = self.folder.path("nope.crt")
        XCTAssertThrowsError(try TLSServerCredentials.load(keyPath: self.keyPath, certificatePath: missingCertificate)) {
            XCTAssertEqual($0 as? TLSFileError, .missing(path: missingCertificate, role: "TLS certificate"))
        }
        let missingCA = self.folder.path("nope-ca.crt")
        XCTAssertThrowsError(try TLSServerCredentials.load(
            keyPath: self.keyPath, certificatePath: self.certificatePath, caCertificatePaths: [missingCA])
        ) {
            XCTAssertEqual($0 as? TLSFileError, .missing(path: missingCA, role: "TLS CA certificate"))
        }
    }

    func testUnreadableFileIsNamed() throws {
        let directory = self.folder.path("adir.key")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        XCTAssertThrowsError(try TLSServerCredentials.load(keyPath: directory, certificatePath: self.certificatePath)) {
            guard case .unreadable(let path, let role, _) = $0 as? TLSFileError else { return XCTFail("\($0)") }
            XCTAssertEqual(path, directory)
            XCTAssertEqual(role, "TLS key")
        }
    }

    func testNonPEMFilesAreNamed() throws {
        let der = try self.folder.write("server.der", Data(try self.pki.serverCertificate.serializeAsPEM().derBytes))
        XCTAssertThrowsError(try TLSServerCredentials.load(keyPath: self.keyPath, certificatePath: der)) {
            XCTAssertEqual($0 as? TLSFileError, .notPEM(path: der, role: "TLS certificate"))
        }
        let text = try self.folder.write("key.txt", "just some text\n")
        XCTAssertThrowsError(try TLSServerCredentials.load(keyPath: text, certificatePath: self.certificatePath)) {
            XCTAssertEqual($0 as? TLSFileError, .notPEM(path: text, role: "TLS key"))
        }
    }

    func testBrokenPEMIsNamed() throws {
        let broken = try self.folder.write("broken.crt", "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n")
        XCTAssertThrowsError(try TLSServerCredentials.load(keyPath: self.keyPath, certificatePath: broken)) {
            guard case .invalidPEM(let path, "TLS certificate", _) = $0 as? TLSFileError else { return XCTFail("\($0)") }
            XCTAssertEqual(path, broken)
        }
        // A key where the certificate should be, and the other way round.
        XCTAssertThrowsError(try TLSServerCredentials.load(keyPath: self.keyPath, certificatePath: self.keyPath)) {
            guard case .invalidPEM(_, "TLS certificate", _) = $0 as? TLSFileError else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try TLSServerCredentials.load(keyPath: self.certificatePath, certificatePath: self.certificatePath)) {
            guard case .invalidPEM(let path, "TLS key", _) = $0 as? TLSFileError else { return XCTFail("\($0)") }
            XCTAssertEqual(path, self.certificatePath)
        }
    }

    func testKeyOfAnotherCertificateIsRefused() throws {
        let otherKey = try self.folder.write("other.key", P256.Signing.PrivateKey().pemRepresentation + "\n")
        XCTAssertThrowsError(try TLSServerCredentials.load(keyPath: otherKey, certificatePath: self.certificatePath)) {
            XCTAssertEqual($0 as? TLSFileError, .keyDoesNotMatchCertificate(keyPath: otherKey, certificatePath: self.certificatePath))
            XCTAssertTrue("\($0)".contains(otherKey) && "\($0)".contains(self.certificatePath), "\($0)")
        }
    }
}
