import Realm
import Synchronization
import WampMessages
import XCTest

/// The realm's side of the session meta API's scatter-gather (`SessionQueryCluster`), with a
/// cluster that answers at once or refuses.
final class SessionQueryClusterSeamTests: XCTestCase {
    private final class FixedCluster: SessionQueryCluster {
        let admits: Bool
        let asked = Mutex<[SessionQuery]>([])

        init(admits: Bool) { self.admits = admits }

        func gather(_ query: SessionQuery,
                    done: @escaping @Sendable (_ answers: [(node: String, answer: String)], _ silent: [String]) -> Void) -> Bool {
            asked.withLock { $0.append(query) }
            guard admits else { return false }
            done([], [])
            return true
        }
    }

    func testARefusedKillEndsNoSessionOnThisNode() throws {
        let realm = Realm(name: "r1")
        let cluster = FixedCluster(admits: false)
        realm.attach(sessionCluster: cluster)
        let (caller, callerPeer) = realm.joinFake(1)
        let (_, otherPeer) = realm.joinFake(2)
        XCTAssertEqual(try realm.callMeta(caller, callerPeer, "wamp.session.kill_all"), "!" + ErrorURI.limitExceeded)
        XCTAssertEqual(cluster.asked.withLock { $0.count }, 1)
        XCTAssertEqual(otherPeer.killReasons, [], "the query was refused: nothing of it may have run")
    }

    func testAnAdmittedKillEndsThisNodesSessionsToo() throws {
        let realm = Realm(name: "r1")
        realm.attach(sessionCluster: FixedCluster(admits: true))
        let (caller, callerPeer) = realm.joinFake(1)
        let (_, otherPeer) = realm.joinFake(2)
        XCTAssertEqual(try realm.callMeta(caller, callerPeer, "wamp.session.kill_all"), "[1]")
        XCTAssertEqual(otherPeer.killReasons, [ErrorURI.killed])
        XCTAssertEqual(callerPeer.killReasons, [])
    }
}
