@testable import Cluster
import Logging
import Realm
import Synchronization
import WampMessages
import XCTest

/// Session meta queries while another node does not answer: what the asking node bounds and logs.
final class ClusterMetaQuerySilentNodeTests: ClusterNodeTestCase {
    /// The log lines of one node, as text (message and metadata).
    final class Lines: LogHandler, @unchecked Sendable {
        private let store = Mutex<[String]>([])
        var all: [String] { store.withLock { $0 } }
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .info

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let line = "\(event.message) \((event.metadata ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" })"
            store.withLock { $0.append(line) }
        }
    }

    /// Two nodes, the second one silent (`--cluster-ack-timeout` 300 ms); the first one's log lines go to `lines`.
    private func silentPair(_ lines: Lines? = nil,
                            configure: @escaping (inout ClusterConfiguration) -> Void = { _ in }) async throws -> (TestNode, TestNode) {
        let logger = lines.map { lines in Logger(label: "test.n1") { _ in lines } }
        let asking = try await TestNode.start("n1", servers: [server.url], logger: logger) {
            $0.ackTimeout = .milliseconds(300)
            configure(&$0)
        }
        let silent = try await TestNode.start("n2", servers: [server.url])
        try await eventually("both nodes live") { asking.node.liveSlots() == [silent.node.slot] }
        // Takes the queries and never answers (no "no responders" at once): each waits the timeout.
        silent.sessionQueries.stopAnswering()
        _ = try silent.node.connection.subscribe(ClusterSubjects(realm: "r1").metaQueries(silent.node.slot)) { _ in }
        try await silent.node.connection.flush()
        return (asking, silent)
    }

    /// `--cluster-max-meta-queries` reaches the queries: one waits for the silent node, the next
    /// is refused at once.
    func testAQueryPastTheBoundIsRefused() async throws {
        let (asking, silent) = try await silentPair { $0.maxMetaQueriesInFlight = 1 }
        let (waiting, waitingPeer) = asking.join()
        try asking.realm.call(Call(request: 1, options: .emptyObject, procedure: "wamp.session.count", payload: Payload()), from: waiting)
        let (refused, refusedPeer) = asking.join()
        let answer = try await asking.meta(refused, refusedPeer, "wamp.session.count")
        XCTAssertEqual(answer.error, ErrorURI.limitExceeded)
        try await eventually("the first query's partial answer") { waitingPeer.results.contains { $0.request == 1 } }
        await stop([asking, silent])
    }

    /// A dead node and a client polling `wamp.session.count`: one warning for the first partial
    /// answer, the next ones only counted (within the throttle's 10 s).
    func testPartialAnswersAreLoggedOncePerInterval() async throws {
        let lines = Lines()
        let (asking, silent) = try await silentPair(lines)
        let (asker, askerPeer) = asking.join()
        for _ in 0..<3 {
            let count = try await asking.meta(asker, askerPeer, "wamp.session.count")
            XCTAssertEqual(count.kwargs?.value("partial")?.stringArray, ["n2"])
        }
        XCTAssertEqual(asking.node.counters.metaQueriesPartial.load(ordering: .relaxed), 3)
        let warnings = lines.all.filter { $0.contains("did not answer a session meta query") }
        XCTAssertEqual(warnings.count, 1, "\(warnings)")
        XCTAssertTrue(warnings.first?.contains("suppressed=0") == true, "\(warnings)")
        await stop([asking, silent])
    }
}
