import Foundation
import NIOCore
import NIOPosix

/// A `nats-server -js` of the test's own (for the NATS client's and the cluster's tests), on a free port and a temporary storage directory.
/// Never skipped: without nats-server on PATH the test fails, saying how to install it.
public final class NATSServerProcess: @unchecked Sendable {
    public let port: Int
    public let storeDirectory: URL
    public let extraArguments: [String]
    private var process: Process?

    /// Starts a server; `port` reuses a port (a restart), else a free one is picked.
    public init(port: Int? = nil, storeDirectory: URL? = nil, extraArguments: [String] = []) throws {
        self.port = try port ?? Self.freePort()
        self.extraArguments = extraArguments
        self.storeDirectory = storeDirectory ?? FileManager.default.temporaryDirectory
            .appendingPathComponent("nats-test-\(UUID().uuidString)")
        try start()
    }

    public var url: String { "nats://127.0.0.1:\(port)" }

    public static func executable() throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") + ["/usr/sbin", "/usr/local/sbin"] {
            let candidate = "\(directory)/nats-server"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw NSError(domain: "NATSServerProcess", code: 1, userInfo: [NSLocalizedDescriptionKey: "nats-server not found: run scripts/deps.sh --test"])
    }

    public func start() throws {
        precondition(process == nil)
        try FileManager.default.createDirectory(at: storeDirectory, withIntermediateDirectories: true)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Self.executable())
        process.arguments = ["-js", "-a", "127.0.0.1", "-p", "\(port)", "-sd", storeDirectory.path] + extraArguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        // Up to 10 s for the port to answer.
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if Self.answers(port: port) { return }
            guard process.isRunning else { break }
            usleep(20_000)
        }
        stop()
        throw NSError(domain: "NATSServerProcess", code: 2, userInfo: [NSLocalizedDescriptionKey: "nats-server did not listen on \(port)"])
    }

    /// SIGSTOP: the server keeps its sockets but answers nothing (not even PONG) until `resume()`,
    /// as one that reads slowly or hangs.
    public func pause() {
        if let process, process.isRunning { kill(process.processIdentifier, SIGSTOP) }
    }

    public func resume() {
        if let process, process.isRunning { kill(process.processIdentifier, SIGCONT) }
    }

    /// SIGTERM, and a bounded wait (SIGKILL after 5 s).
    public func stop() {
        guard let process else { return }
        self.process = nil
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(5)
        while process.isRunning, Date() < deadline { usleep(10_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    public func removeStore() {
        try? FileManager.default.removeItem(at: storeDirectory)
    }

    public static func freePort() throws -> Int {
        let group = MultiThreadedEventLoopGroup.singleton
        let channel = try ServerBootstrap(group: group).bind(host: "127.0.0.1", port: 0).wait()
        let port = channel.localAddress!.port!
        try channel.close().wait()
        return port
    }

    private static func answers(port: Int) -> Bool {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { return false }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        return result == 0
    }
}
