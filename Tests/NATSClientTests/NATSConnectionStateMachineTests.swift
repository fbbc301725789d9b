import NIOCore
import XCTest

@testable import NATSClient

final class NATSConnectionStateMachineTests: XCTestCase {
    private func machine(servers: Int = 2, attempts: Int? = nil) -> NATSConnectionStateMachine {
        NATSConnectionStateMachine(
            serverCount: servers, maxPingsOutstanding: 2, maxReconnectAttempts: attempts,
            reconnectWaitMin: .milliseconds(100), reconnectWaitMax: .seconds(1))
    }

    func testHandshakeThenConnected() {
        var m = machine()
        XCTAssertEqual(m.start(), [.connect(server: 0)])
        XCTAssertEqual(m.channelActive(), [])
        XCTAssertEqual(m.pongReceived(), [], "no PONG counts before CONNECT went out")
        XCTAssertEqual(m.infoReceived(), [.sendHandshake])
        XCTAssertEqual(m.infoReceived(), [], "a later INFO (cluster update) does not handshake again")
        XCTAssertEqual(m.pongReceived(), [.becameConnected(server: 0, reconnected: false)])
        XCTAssertTrue(m.isConnected)
    }

    func testDropRotatesServersAndReconnects() {
        var m = machine()
        _ = m.start(); _ = m.channelActive(); _ = m.infoReceived(); _ = m.pongReceived()
        XCTAssertEqual(m.channelClosed(), [.becameDisconnected, .scheduleReconnect(server: 1, delay: .milliseconds(100))])
        XCTAssertEqual(m.reconnectTimerFired(), [.connect(server: 1)])
        // Failed attempts double the wait up to the maximum and cycle through the list.
        XCTAssertEqual(m.channelClosed(), [.scheduleReconnect(server: 0, delay: .milliseconds(100))])
        _ = m.reconnectTimerFired()
        XCTAssertEqual(m.channelClosed(), [.scheduleReconnect(server: 1, delay: .milliseconds(200))])
        for _ in 0..<9 { _ = m.reconnectTimerFired(); _ = m.channelClosed() }
        XCTAssertEqual(m.state, .waitingToReconnect(server: 0), "an odd number of failures later: server 0")
        XCTAssertEqual(m.delay(), .seconds(1))
        XCTAssertEqual(m.reconnectTimerFired(), [.connect(server: 0)])
        _ = m.channelActive(); _ = m.infoReceived()
        XCTAssertEqual(m.pongReceived(), [.becameConnected(server: 0, reconnected: true)])
        XCTAssertEqual(m.failedAttempts, 0)
    }

    func testGivesUpAfterAttempts() {
        var m = machine(servers: 1, attempts: 1)
        _ = m.start()
        XCTAssertEqual(m.channelClosed(), [.scheduleReconnect(server: 0, delay: .milliseconds(100))])
        _ = m.reconnectTimerFired()
        XCTAssertEqual(m.channelClosed(), [.becameClosed])
        XCTAssertEqual(m.state, .closed)
        XCTAssertEqual(m.reconnectTimerFired(), [])
    }

    func testKeepaliveDeclaresDead() {
        var m = machine()
        _ = m.start(); _ = m.channelActive(); _ = m.infoReceived(); _ = m.pongReceived()
        XCTAssertEqual(m.pingTimerFired(), [.sendPing])
        XCTAssertEqual(m.pingTimerFired(), [.sendPing])
        XCTAssertEqual(m.pingTimerFired(), [.closeChannel], "two unanswered pings: dead")
        _ = m.pongReceived()
        XCTAssertEqual(m.pingTimerFired(), [.sendPing], "a PONG resets the count")
    }

    func testHandshakeTimeoutAndClose() {
        var m = machine()
        _ = m.start(); _ = m.channelActive()
        XCTAssertEqual(m.handshakeTimedOut(), [.closeChannel])
        _ = m.infoReceived(); _ = m.pongReceived()
        XCTAssertEqual(m.handshakeTimedOut(), [])
        XCTAssertEqual(m.close(), [.becameDisconnected, .closeChannel, .becameClosed])
        XCTAssertEqual(m.channelClosed(), [], "the close's own channel close changes nothing")
        XCTAssertEqual(m.close(), [])
    }
}
