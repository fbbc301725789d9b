import Cluster
import NIOCore
import Realm
import WampMessages

/// libFuzzer entry: any bytes as the value of a `wamp_testaments` key (written by a node that
/// may be gone, or by anyone who can write to the cluster's JetStream).
///
/// `ClusterTestamentCodec.decode` must answer every input with a list or `Malformed`; never a
/// trap, a leak, or an allocation sized by a count the input declares. A decoded list must encode
/// to bytes that decode to the same list.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzClusterTestamentCodec(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var bytes = ByteBuffer()
    bytes.writeBytes(UnsafeBufferPointer(start: data, count: size))
    guard let first = try? ClusterTestamentCodec.decode(bytes) else { return 0 }
    let again: SessionTestaments
    do {
        again = try ClusterTestamentCodec.decode(ClusterTestamentCodec.encode(first))
    } catch {
        fatalError("a decoded testament list does not decode after encoding: \(error)")
    }
    func same(_ a: [Testament], _ b: [Testament]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { x, y in
            x.topic == y.topic && x.publishOptions.jsonText == y.publishOptions.jsonText
                && x.payload.serialization == y.payload.serialization
                && x.payload.argumentsBytes == y.payload.argumentsBytes && x.payload.argumentsKwBytes == y.payload.argumentsKwBytes
        }
    }
    guard first.session == again.session, first.authid == again.authid, first.authrole == again.authrole,
          same(first.detached, again.detached), same(first.destroyed, again.destroyed)
    else {
        fatalError("encoding a decoded testament list changed it")
    }
    return 0
}
