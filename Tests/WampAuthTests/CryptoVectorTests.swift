import Crypto
import WampMessages
import XCTest
@testable import WampAuth

/// The methods' crypto against published values.
final class CryptoVectorTests: XCTestCase {
    // MARK: WAMP-CRA

    /// autobahn-python, src/autobahn/wamp/test/test_wamp_auth.py, `test_derive_key`:
    /// derive_key("L3L1YUE8Txlw", "salt123") with the defaults (1000 iterations, keylen 32).
    func testDeriveKeyMatchesAutobahn() {
        XCTAssertEqual(WampCRA.deriveKey(secret: "L3L1YUE8Txlw", salting: .init(salt: "salt123")),
                       "qzcdsr9uu/L5hnss3kjNTRe490ETgA70ZBaB5rvnJ5Y=")
    }

    /// autobahn-python, test_wamp_auth.py, `test_compute_wcs`: compute_wcs("L3L1YUE8Txlw",
    /// json.dumps([1, 2, 3])) — Python writes the list as "[1, 2, 3]".
    func testSignatureMatchesAutobahn() {
        XCTAssertEqual(WampCRA.sign(challenge: "[1, 2, 3]", key: "L3L1YUE8Txlw"),
                       "1njQtmmeYO41N5EWEzD2kAjjEKRZ5kPZt/TzpYXOzR0=")
        XCTAssertNotEqual(WampCRA.sign(challenge: "[1,2,3]", key: "L3L1YUE8Txlw"),
                          "1njQtmmeYO41N5EWEzD2kAjjEKRZ5kPZt/TzpYXOzR0=", "the exact challenge bytes are signed")
    }

    /// RFC 7914 section 11: PBKDF2-HMAC-SHA256 (P="passwd", S="salt", c=1, dkLen=64), so the
    /// derivation is checked against a standard, not only against Autobahn.
    func testPBKDF2MatchesRFC7914() throws {
        let expected = "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
            + "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783"
        let derived = try XCTUnwrap(WampCRA.deriveKey(secret: "passwd", salting: .init(salt: "salt", iterations: 1, keylen: 64)))
        XCTAssertEqual(derived, Base64Text.encode(try XCTUnwrap(Hex.decode(expected))))
    }

    /// A salted signature keys the HMAC with the derived key's base64 *text*, as Autobahn's
    /// `AuthWampCra.on_challenge` does (derive_key, then compute_wcs with its result).
    func testSaltedSignatureUsesTheBase64TextOfTheDerivedKey() throws {
        let salting = WampCRA.Salting(salt: "salt123", iterations: 1000, keylen: 32)
        let signature = WampCRA.signature(challenge: "[1, 2, 3]", secret: "L3L1YUE8Txlw", salting: salting)
        XCTAssertEqual(signature, WampCRA.sign(challenge: "[1, 2, 3]", key: "qzcdsr9uu/L5hnss3kjNTRe490ETgA70ZBaB5rvnJ5Y="))
        XCTAssertNotEqual(signature, WampCRA.sign(challenge: "[1, 2, 3]", key: "L3L1YUE8Txlw"))
    }

    func testSaltingOutOfBoundsIsRefused() {
        XCTAssertNil(WampCRA.deriveKey(secret: "x", salting: .init(salt: "s", iterations: 0, keylen: 32)))
        XCTAssertNil(WampCRA.deriveKey(secret: "x", salting: .init(salt: "s", iterations: 20_000_000, keylen: 32)))
        XCTAssertNil(WampCRA.deriveKey(secret: "x", salting: .init(salt: "s", iterations: 1, keylen: 0)))
        XCTAssertNil(WampCRA.signature(challenge: "c", secret: "x", salting: .init(salt: "s", iterations: 1, keylen: 5_000)))
    }

    func testChallengeTextIsJSONWithTheSpecMembersInOrder() {
        let text = WampCRA.challengeText(authid: "peter", authrole: "user", authprovider: "static", nonce: "n\"1",
                                         timestamp: "2014-06-22T16:36:25.448Z", session: 3251278072152162)
        XCTAssertEqual(text, #"{"authid":"peter","authrole":"user","authmethod":"wampcra","authprovider":"static","#
            + #""nonce":"n\"1","timestamp":"2014-06-22T16:36:25.448Z","session":3251278072152162}"#)
    }

    func testTimestampsAreISO8601UTCWithMilliseconds() {
        XCTAssertEqual(UTCTimestamp.format(millisecondsSince1970: 0), "1970-01-01T00:00:00.000Z")
        // The spec's example timestamp.
        XCTAssertEqual(UTCTimestamp.format(millisecondsSince1970: 1_403_454_985_448), "2014-06-22T16:36:25.448Z")
        XCTAssertEqual(UTCTimestamp.format(millisecondsSince1970: 951_782_400_000 - 1), "2000-02-28T23:59:59.999Z")
        XCTAssertEqual(UTCTimestamp.format(millisecondsSince1970: 951_868_800_000), "2000-03-01T00:00:00.000Z")
        XCTAssertEqual(UTCTimestamp.format(millisecondsSince1970: -1), "1969-12-31T23:59:59.999Z")
    }

    func testBase64MatchesRFC4648Vectors() {
        let vectors = ["": "", "f": "Zg==", "fo": "Zm8=", "foo": "Zm9v", "foob": "Zm9vYg==", "fooba": "Zm9vYmE=",
                       "foobar": "Zm9vYmFy"]
        for (plain, encoded) in vectors { XCTAssertEqual(Base64Text.encode(Array(plain.utf8)), encoded) }
    }

    // MARK: Cryptosign

    /// The spec's test vectors (rfc/text/advanced/authentication_cryptosign.md, "Test Vectors",
    /// wamp-proto/wamp-proto): private key seed, challenge, optional tls-unique channel id, and
    /// the expected AUTHENTICATE signature (signature ++ signed message).
    static let specVectors: [(channelID: String?, privateKey: String, challenge: String, signature: String)] = [
        (nil, "4d57d97a68f555696620a6d849c0ce582568518d729eb753dc7c732de2804510",
         "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
         "b32675b221f08593213737bef8240e7c15228b07028e19595294678c90d11c0cae80a357331bfc5cc9fb71081464e6e75013517c2cf067ad566a6b7b728e5d03ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"),
        (nil, "d511fe78e23934b3dadb52fcd022974b80bd92bccc7c5cf404e46cc0a8a2f5cd",
         "b26c1f87c13fc1da14997f1b5a71995dff8fbe0a62fae8473c7bdbd05bfb607d",
         "d4209ad10d5aff6bfbc009d7e924795de138a63515efc7afc6b01b7fe5201372190374886a70207b042294af5bd64ce725cd8dceb344e6d11c09d1aaaf4d660fb26c1f87c13fc1da14997f1b5a71995dff8fbe0a62fae8473c7bdbd05bfb607d"),
        (nil, "6e1fde9cf9e2359a87420b65a87dc0c66136e66945196ba2475990d8a0c3a25b",
         "b05e6b8ad4d69abf74aa3be3c0ee40ae07d66e1895b9ab09285a2f1192d562d2",
         "7beb282184baadd08f166f16dd683b39cab53816ed81e6955def951cb2ddad1ec184e206746fd82bda075af03711d3d5658fc84a76196b0fa8d1ebc92ef9f30bb05e6b8ad4d69abf74aa3be3c0ee40ae07d66e1895b9ab09285a2f1192d562d2"),
        ("62e935ae755f3d48f80d4d59f6121358c435722a67e859cc0caa8b539027f2ff",
         "4d57d97a68f555696620a6d849c0ce582568518d729eb753dc7c732de2804510",
         "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
         "9b6f41540c9b95b4b7b281c3042fa9c54cef43c842d62ea3fd6030fcb66e70b3e80d49d44c29d1635da9348d02ec93f3ed1ef227dfb59a07b580095c2b82f80f9d16ca518aa0c2b707f2b2a609edeca73bca8dd59817a633f35574ac6fd80d00"),
        ("62e935ae755f3d48f80d4d59f6121358c435722a67e859cc0caa8b539027f2ff",
         "d511fe78e23934b3dadb52fcd022974b80bd92bccc7c5cf404e46cc0a8a2f5cd",
         "b26c1f87c13fc1da14997f1b5a71995dff8fbe0a62fae8473c7bdbd05bfb607d",
         "305aaa3ac25e98f651427688b3fc43fe7d8a68a7ec1d7d61c61517c519bd4a427c3015599d83ca28b4c652333920223844ef0725eb5dc2febfd6af7677b73f01d0852a29b460fc92ec943242ac638a053bbacc200512b18b30d15083cbdc9282"),
        ("62e935ae755f3d48f80d4d59f6121358c435722a67e859cc0caa8b539027f2ff",
         "6e1fde9cf9e2359a87420b65a87dc0c66136e66945196ba2475990d8a0c3a25b",
         "b05e6b8ad4d69abf74aa3be3c0ee40ae07d66e1895b9ab09285a2f1192d562d2",
         "ee3c7644fd8070532bc1fde3d70d742267da545d8c8f03e63bda63f1ad4214f4d2c4bfdb4eb9526def42deeb7e31602a6ff99eba893e0a4ad4d45892ca75e608d2b75e24a189a7f78ca776ba36fc53f6c3e31c32f251f2c524f0a44202f2902d"),
    ]

    func testSpecSignaturesVerify() throws {
        for vector in Self.specVectors {
            let privateKey = try XCTUnwrap(Cryptosign.privateKey(seedHex: vector.privateKey))
            let challenge = try XCTUnwrap(Hex.decode(vector.challenge))
            let channelID = try vector.channelID.map { try XCTUnwrap(Hex.decode($0)) }
            let message = try XCTUnwrap(Cryptosign.signedMessage(challenge: challenge, channelBinding: channelID))
            XCTAssertTrue(Cryptosign.verify(signature: vector.signature, expectedMessage: message,
                                            publicKey: privateKey.publicKey), vector.signature)
            // The same signature does not pass for the other binding (bound vs. unbound).
            let otherMessage = channelID == nil
                ? Cryptosign.signedMessage(challenge: challenge, channelBinding: Hex.decode("62e935ae755f3d48f80d4d59f6121358c435722a67e859cc0caa8b539027f2ff"))!
                : challenge
            XCTAssertFalse(Cryptosign.verify(signature: vector.signature, expectedMessage: otherMessage,
                                             publicKey: privateKey.publicKey))
        }
    }

    /// Ed25519 is deterministic (RFC 8032), so signing the vectors reproduces them exactly with
    /// BoringSSL (Linux). Apple's CryptoKit randomises signatures; there only verification holds.
    func testSigningReproducesSpecSignatures() throws {
        for vector in Self.specVectors {
            let privateKey = try XCTUnwrap(Cryptosign.privateKey(seedHex: vector.privateKey))
            let challenge = try XCTUnwrap(Hex.decode(vector.challenge))
            let channelID = try vector.channelID.map { try XCTUnwrap(Hex.decode($0)) }
            let signature = try XCTUnwrap(Cryptosign.sign(challenge: challenge, channelBinding: channelID, privateKey: privateKey))
            #if os(Linux)
            XCTAssertEqual(signature, vector.signature)
            #endif
            let message = try XCTUnwrap(Cryptosign.signedMessage(challenge: challenge, channelBinding: channelID))
            XCTAssertTrue(Cryptosign.verify(signature: signature, expectedMessage: message, publicKey: privateKey.publicKey))
        }
    }

    func testTamperedOrMalformedSignaturesFail() throws {
        let vector = Self.specVectors[1]
        let key = try XCTUnwrap(Cryptosign.privateKey(seedHex: vector.privateKey)).publicKey
        let message = try XCTUnwrap(Hex.decode(vector.challenge))
        var bytes = try XCTUnwrap(Hex.decode(vector.signature))
        bytes[10] ^= 1
        XCTAssertFalse(Cryptosign.verify(signature: Hex.encode(bytes), expectedMessage: message, publicKey: key))
        XCTAssertFalse(Cryptosign.verify(signature: String(vector.signature.dropLast(2)), expectedMessage: message, publicKey: key))
        XCTAssertFalse(Cryptosign.verify(signature: "zz" + vector.signature.dropFirst(2), expectedMessage: message, publicKey: key))
        XCTAssertFalse(Cryptosign.verify(signature: "", expectedMessage: message, publicKey: key))
        let otherKey = try XCTUnwrap(Cryptosign.privateKey(seedHex: Self.specVectors[0].privateKey)).publicKey
        XCTAssertFalse(Cryptosign.verify(signature: vector.signature, expectedMessage: message, publicKey: otherKey))
    }

    func testHexRoundTripsAndRejectsGarbage() {
        XCTAssertEqual(Hex.decode("00ff10Ab"), [0x00, 0xFF, 0x10, 0xAB])
        XCTAssertEqual(Hex.encode([0x00, 0xFF, 0x10, 0xAB]), "00ff10ab")
        XCTAssertNil(Hex.decode("abc"))
        XCTAssertNil(Hex.decode("0g"))
        XCTAssertEqual(Cryptosign.canonicalKey(String(repeating: "AB", count: 32)), String(repeating: "ab", count: 32))
        XCTAssertNil(Cryptosign.canonicalKey("abcd"))
    }

    // MARK: Ticket

    func testSecretComparison() {
        XCTAssertTrue(SecretComparison.equal("s3cret!!", "s3cret!!"))
        XCTAssertFalse(SecretComparison.equal("s3cret!!", "s3cret!?"))
        XCTAssertFalse(SecretComparison.equal("s3cret", "s3cret!!"))
        XCTAssertFalse(SecretComparison.equal("", "x"))
        XCTAssertTrue(SecretComparison.equal("", ""))
        XCTAssertFalse(SecretComparison.constantTimeEqual([1, 2], [1, 2, 3]))
    }
}

final class DerivedKeyCacheTests: XCTestCase {
    /// The cached key is the derived one (Autobahn's derive_key vector), and out-of-bounds
    /// salting is refused rather than cached.
    func testCachedKeyEqualsTheDerivedKey() {
        let salting = WampCRA.Salting(salt: "salt123", iterations: 1000, keylen: 32)
        XCTAssertEqual(DerivedKeyCache.key(secret: "L3L1YUE8Txlw", salting: salting), "qzcdsr9uu/L5hnss3kjNTRe490ETgA70ZBaB5rvnJ5Y=")
        XCTAssertEqual(DerivedKeyCache.key(secret: "L3L1YUE8Txlw", salting: salting), "qzcdsr9uu/L5hnss3kjNTRe490ETgA70ZBaB5rvnJ5Y=")
        XCTAssertNil(DerivedKeyCache.key(secret: "x", salting: WampCRA.Salting(salt: "s", iterations: 0, keylen: 32)))
    }
}
