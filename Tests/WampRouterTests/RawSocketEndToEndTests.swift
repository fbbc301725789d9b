import Foundation
import Logging
import NIOCore
import NIOPosix
import RawSocketIO
import WampRouter
import XCTest

/// The router with a RawSocket TCP listener and a Unix one: HELLO/WELCOME and a CALL with JSON
/// across both, and the transport's own rules end to end.
final class RawSocketEndToEndTests: XCTestCase {
    private var router: WampRouter!
    private var socketPath = ""

    override func setUp() async throws {
        socketPath = NSTemporaryDirectory() + "wamp-rs-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock"
        var configuration = RouterConfiguration()
        configuration.port = 0
        configuration.rawSocketPort = 0
        configuration.rawSocketUnixPath = socketPath
        configuration.maxMessageSize = 1 << 16
        configuration.eventLoopThreads = 2
        configuration.shutdownGracePeriod = .milliseconds(500)
        var logger = Logger(label: "test-router")
        logger.logLevel = .warning
        router = try await WampRouter.start(configuration: configuration, logger: logger)
    }

    override func tearDown() async throws {
        await router?.shutdown()
        router = nil
    }

    private var tcp: RawSocketClient.Endpoint { .tcp(host: "127.0.0.1", port: router.rawSocketPorts[0]) }

    private static let hello = #"[1,"realm1",{"roles":{"caller":{},"callee":{},"publisher":{},"subscriber":{}}}]"#

    func testHelloWelcomeAndACallAcrossTCPAndUnix() async throws {
        let callee = try await RawSocketPeer.connect(.unix(path: socketPath))
        XCTAssertEqual(callee.connection.maxOutboundMessageSize, 1 << 16, "the router announces its --max-message-size")
        callee.send(Self.hello)
        let reply1 = try await callee.nextText()
        XCTAssertTrue(reply1.hasPrefix("[2,"), "WELCOME")
        callee.send(#"[64,1,{},"com.example.add"]"#)
        let registered = try await callee.nextText()
        XCTAssertTrue(registered.hasPrefix("[65,1,"), registered)

        let caller = try await RawSocketPeer.connect(tcp)
        caller.send(Self.hello)
        let reply2 = try await caller.nextText()
        XCTAssertTrue(reply2.hasPrefix("[2,"), "WELCOME")
        caller.send(#"[48,7,{},"com.example.add",[2,3]]"#)
        let invocation = try await callee.nextText()
        XCTAssertTrue(invocation.hasPrefix("[68,"), invocation)
        XCTAssertTrue(invocation.hasSuffix(",[2,3]]"), invocation)
        let requestID = invocation.dropFirst(4).prefix { $0 != "," }
        callee.send("[70,\(requestID),{},[5]]")
        let reply3 = try await caller.nextText()
        XCTAssertEqual(reply3, "[50,7,{},[5]]")
    }

    func testPingIsAnsweredAndTheRouterNeverPings() async throws {
        let peer = try await RawSocketPeer.connect(tcp)
        peer.connection.sendPing(ByteBuffer(bytes: [1, 2, 3]))
        let reply4 = try await peer.next()
        XCTAssertEqual(reply4, .pong([1, 2, 3]))
        peer.send(Self.hello)
        let reply5 = try await peer.nextText()
        XCTAssertTrue(reply5.hasPrefix("[2,"))
    }

    func testUnsupportedSerializerIsRefusedWithError1() async throws {
        do {
            _ = try await RawSocketPeer.connect(tcp, serializer: 5)
            XCTFail("FlatBuffers accepted")
        } catch let error as RawSocketClientError {
            XCTAssertEqual(error, .refused(code: 1))
        }
    }

    func testMessageOverTheAnnouncedLengthClosesTheConnection() async throws {
        let peer = try await RawSocketPeer.connect(tcp)
        peer.send(Self.hello)
        let reply6 = try await peer.nextText()
        XCTAssertTrue(reply6.hasPrefix("[2,"))
        // The client's transport refuses to send a payload over the router's maximum, so the
        // over-long frame goes as a prepared frame behind an empty payload: the router must fail it.
        let frame = RawSocketFrameWriter.frame(payload: ByteBuffer(repeating: 0x20, count: (1 << 16) + 1))
        peer.connection.send(ByteBuffer(), preparedFrame: frame)
        let reply7 = try await peer.next()
        XCTAssertEqual(reply7, .closed)
    }

    func testUnixSocketFileIsOwnerOnlyAndRemovedAtShutdown() async throws {
        let attributes = try FileManager.default.attributesOfItem(atPath: socketPath)
        XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o600)
        await router.shutdown()
        router = nil
        XCTAssertFalse(FileManager.default.fileExists(atPath: socketPath))
    }

    func testShutdownSaysGoodbyeToRawSocketSessions() async throws {
        let peer = try await RawSocketPeer.connect(tcp)
        peer.send(Self.hello)
        let welcome = try await peer.nextText()
        XCTAssertTrue(welcome.hasPrefix("[2,"))
        let running = router!
        let shutdown = Task { await running.shutdown() }
        let goodbye = try await peer.nextText()
        XCTAssertTrue(goodbye.hasPrefix("[6,") && goodbye.contains("wamp.close.system_shutdown"), goodbye)
        peer.send(#"[6,{},"wamp.close.goodbye_and_out"]"#)
        await shutdown.value
        router = nil
    }
}
