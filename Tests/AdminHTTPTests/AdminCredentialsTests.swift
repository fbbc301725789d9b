import NIOCore
import Testing
@testable import AdminHTTP

@Suite struct AdminCredentialsTests {
    let loopback = try! SocketAddress(ipAddress: "127.0.0.1", port: 5000)
    let loopbackOther = try! SocketAddress(ipAddress: "127.9.8.7", port: 5000)
    let loopback6 = try! SocketAddress(ipAddress: "::1", port: 5000)
    let mapped = try! SocketAddress(ipAddress: "::ffff:127.0.0.1", port: 5000)
    let remote = try! SocketAddress(ipAddress: "192.0.2.10", port: 5000)
    let remote6 = try! SocketAddress(ipAddress: "2001:db8::1", port: 5000)

    @Test func loopbackAddressesAreRecognised() throws {
        #expect(AdminCredentials.isLoopback(loopback))
        #expect(AdminCredentials.isLoopback(loopbackOther))
        #expect(AdminCredentials.isLoopback(loopback6))
        #expect(AdminCredentials.isLoopback(mapped))
        #expect(AdminCredentials.isLoopback(try SocketAddress(unixDomainSocketPath: "/tmp/x.sock")))
        #expect(!AdminCredentials.isLoopback(remote))
        #expect(!AdminCredentials.isLoopback(remote6))
        #expect(!AdminCredentials.isLoopback(try SocketAddress(ipAddress: "::ffff:10.0.0.1", port: 1)))
        #expect(!AdminCredentials.isLoopback(nil))
    }

    @Test func withoutCredentialsOnlyLoopbackPeersGetIn() {
        let open = AdminCredentials()
        #expect(open.decide(remote: loopback, authorization: []) == .allowed)
        #expect(open.decide(remote: remote, authorization: []) == .forbidden)
        #expect(open.decide(remote: remote, authorization: ["Bearer anything"]) == .forbidden)
        #expect(open.decide(remote: nil, authorization: []) == .forbidden)
        #expect(AdminCredentials(loopbackOnly: false).decide(remote: remote, authorization: []) == .allowed)
    }

    @Test func aTokenIsNeededFromEveryoneAndLetsRemotePeersIn() {
        let withToken = AdminCredentials(token: "s3cret-token")
        #expect(withToken.decide(remote: loopback, authorization: []) == .unauthorized)
        #expect(withToken.decide(remote: remote, authorization: ["Bearer s3cret-token"]) == .allowed)
        #expect(withToken.decide(remote: loopback, authorization: ["bearer s3cret-token"]) == .allowed)
        #expect(withToken.decide(remote: remote, authorization: ["Bearer s3cret-tokeN"]) == .unauthorized)
        #expect(withToken.decide(remote: remote, authorization: ["Bearer s3cret-token-longer"]) == .unauthorized)
        #expect(withToken.decide(remote: remote, authorization: ["Bearer s3cret"]) == .unauthorized)
        #expect(withToken.decide(remote: remote, authorization: ["Bearer"]) == .unauthorized)
        #expect(withToken.decide(remote: remote, authorization: ["Basic s3cret-token"]) == .unauthorized)
        #expect(withToken.decide(remote: remote, authorization: ["Token s3cret-token"]) == .unauthorized)
    }

    @Test func anEmptyTokenIsNoToken() {
        let empty = AdminCredentials(token: "")
        #expect(!empty.requiresCredentials)
        #expect(empty.decide(remote: remote, authorization: ["Bearer "]) == .forbidden)
    }

    @Test func basicAuthComparesUserAndPassword() {
        let basic = AdminCredentials(basicUser: "ops", basicPassword: "pa:ss")
        // base64("ops:pa:ss") = b3BzOnBhOnNz
        #expect(basic.decide(remote: remote, authorization: ["Basic b3BzOnBhOnNz"]) == .allowed)
        // base64("ops:pass") = b3BzOnBhc3M=
        #expect(basic.decide(remote: remote, authorization: ["Basic b3BzOnBhc3M="]) == .unauthorized)
        #expect(basic.decide(remote: remote, authorization: ["Basic !!!"]) == .unauthorized)
        #expect(basic.decide(remote: remote, authorization: ["Bearer b3BzOnBhOnNz"]) == .unauthorized)
    }

    @Test func theDescriptionNeverShowsSecrets() {
        let text = "\(AdminCredentials(token: "tok-123", basicUser: "u", basicPassword: "pw-456"))"
        #expect(!text.contains("tok-123"))
        #expect(!text.contains("pw-456"))
        #expect(text.contains("set"))
    }

    @Test func constantTimeComparison() {
        #expect(ConstantTimeText.equal("abc", "abc"))
        #expect(!ConstantTimeText.equal("abd", "abc"))
        #expect(!ConstantTimeText.equal("ab", "abc"))
        #expect(!ConstantTimeText.equal("abcabc", "abc"))
        #expect(!ConstantTimeText.equal("", "abc"))
        #expect(!ConstantTimeText.equal("", ""))
    }

    @Test func base64Decoding() {
        #expect(AdminCredentials.basicCredential("aGVsbG8=") == Array("hello".utf8))
        #expect(AdminCredentials.basicCredential("aGVsbG8h") == Array("hello!".utf8))
        #expect(AdminCredentials.basicCredential("aGk=") == Array("hi".utf8))
        #expect(AdminCredentials.basicCredential("") == [])
        #expect(AdminCredentials.basicCredential("aGk") == nil)
        #expect(AdminCredentials.basicCredential("a=Gk") == nil)
        #expect(AdminCredentials.basicCredential("a===") == nil)
        #expect(AdminCredentials.basicCredential("aG\u{0}k") == nil)
    }
}

@Suite struct RateRingTests {
    @Test func firstSampleIsTheBaseThenIncreasesAreRecorded() {
        var ring = RateRing(capacity: 4)
        ring.sample(total: 100)
        #expect(ring.values == [])
        ring.sample(total: 110)
        ring.sample(total: 110)
        ring.sample(total: 125)
        #expect(ring.values == [10, 0, 15])
    }

    @Test func aTotalThatGoesDownIsNoNegativeRate() {
        var ring = RateRing(capacity: 4)
        ring.sample(total: 50)
        ring.sample(total: 20)
        ring.sample(total: 30)
        #expect(ring.values == [0, 10])
    }

    @Test func keepsOnlyTheLastCapacityValuesOldestFirst() {
        var ring = RateRing(capacity: 3)
        for value in 1...7 { ring.record(value) }
        #expect(ring.values == [5, 6, 7])
        #expect(RateRing().capacity == 60)
    }
}
