import Foundation
import Synchronization
import WampClient
import WampMessages
import XCTest

/// Runs the client example of the README ("Swift client" section) against an
/// in-process router, so the example keeps compiling and doing what it says. The body between
/// the markers is the example verbatim, but for the port; `print` is captured.
final class ClientReadmeExampleTests: RouterTestCase {
    func testReadmeExample() async throws {
        let lines = Recorder<String>()
        @Sendable func print(_ items: Any...) { lines.append(items.map { "\($0)" }.joined(separator: " ")) }
        let port = self.port
        // --- README example begins
        // A service: MessagePack on the wire, back on its own (same registrations) if the router restarts.
        let service = try await WampClient.connect(port: port, realm: "realm1", serialization: .msgpack,
                                                   reconnect: WampClient.ReconnectPolicy(maxAttempts: 10))
        _ = try await service.register("com.example.countdown") { invocation, context in
            let from = try invocation.payload.argumentValues().first?.integerValue ?? 3
            for n in stride(from: from, to: 0, by: -1) {
                try context.sendProgress(values: [.integer(n)])  // a progressive RESULT
                try await Task.sleep(for: .milliseconds(10))     // cancelled by the caller's CANCEL
            }
            return try Payload(values: ["liftoff"])
        }
        _ = try await service.subscribe("com.example.news") { event in
            print("news:", (try? event.payload.argumentValues().first?.stringValue) ?? "?")
        }

        // An app: JSON, progressive results as an AsyncSequence.
        let app = try await WampClient.connect(port: port, realm: "realm1")
        for try await result in app.callProgressive("com.example.countdown", values: [3]) {
            let first = try result.payload.argumentValues().first
            if result.isProgress { print("T-minus", first?.integerValue ?? 0) } else { print(first?.stringValue ?? "") }
        }
        try await app.publish("com.example.news", values: ["hello", ["from": "swift"]], acknowledge: true)

        // Cancelling the awaiting task sends CANCEL (here `kill`: the callee's handler task is cancelled).
        let long = Task { try await app.call("com.example.countdown", values: [1000], cancelMode: .kill) }
        long.cancel()
        _ = await long.result  // throws CancellationError
        try await app.leave()
        // --- README example ends

        let seen = try await lines.wait(for: 5)
        XCTAssertEqual(Array(seen.prefix(4)), ["T-minus 3", "T-minus 2", "T-minus 1", "liftoff"])
        XCTAssertEqual(seen.last, "news: hello")
        guard case .failure(let error) = await long.result else { return XCTFail("the cancelled call returned") }
        XCTAssertTrue(error is CancellationError, "\(error)")
        try await service.leave()
    }

    /// The README shows the code above, line for line (with the port it names, 8080).
    func testReadmeShowsThisTestsCode() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let source = try String(contentsOf: URL(fileURLWithPath: #filePath), encoding: .utf8)
        let section = try XCTUnwrap(readme.range(of: "## Swift client").map { readme[$0.upperBound...] })
        let start = try XCTUnwrap(section.range(of: "```swift\n"))
        let end = try XCTUnwrap(section[start.upperBound...].range(of: "```"))
        let shown = section[start.upperBound..<end.lowerBound].split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        let begin = try XCTUnwrap(source.range(of: "// --- README example begins\n"))
        let finish = try XCTUnwrap(source.range(of: "        // --- README example ends"))
        let tested = source[begin.upperBound..<finish.lowerBound].split(separator: "\n")
            .map { $0.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "port: port", with: "port: 8080") }
        let code = shown.filter { !$0.hasPrefix("import ") && !$0.isEmpty }
        XCTAssertEqual(code, tested.filter { !$0.isEmpty })
    }
}
