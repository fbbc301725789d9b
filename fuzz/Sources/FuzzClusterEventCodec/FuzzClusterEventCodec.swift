import Cluster
import NIOCore
import Realm
import WampMessages

/// libFuzzer entry: any bytes as a relayed publication from the NATS side (another node, or
/// anyone who can publish on the cluster's NATS subjects).
///
/// `ClusterEventCodec.decode` must answer every input with a publication or `Malformed`; never
/// a trap, a leak, or an allocation sized by a length the input declares (ASan, LeakSanitizer and
/// -rss_limit_mb watch). A decoded publication must encode to bytes that decode to the same
/// publication (the lists compared as sets: their order on the wire is a set's).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzClusterEventCodec(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var bytes = ByteBuffer()
    bytes.writeBytes(UnsafeBufferPointer(start: data, count: size))
    guard let first = try? ClusterEventCodec.decode(bytes) else { return 0 }
    let again: RelayedPublication
    do {
        again = try ClusterEventCodec.decode(ClusterEventCodec.encode(first))
    } catch {
        fatalError("a decoded publication does not decode after encoding: \(error)")
    }
    guard first.publication == again.publication, first.topic == again.topic, first.publisher == again.publisher,
          first.excludeMe == again.excludeMe, first.disclosed == again.disclosed,
          first.disclosedAuthid == again.disclosedAuthid, first.disclosedAuthrole == again.disclosedAuthrole,
          first.passthru.map(\.key) == again.passthru.map(\.key), first.passthru.map(\.value) == again.passthru.map(\.value),
          first.filter?.exclude == again.filter?.exclude, first.filter?.eligible == again.filter?.eligible,
          first.filter?.excludeAuthid == again.filter?.excludeAuthid, first.filter?.eligibleAuthid == again.filter?.eligibleAuthid,
          first.filter?.excludeAuthrole == again.filter?.excludeAuthrole,
          first.filter?.eligibleAuthrole == again.filter?.eligibleAuthrole,
          first.payload.serialization == again.payload.serialization,
          first.payload.argumentsBytes == again.payload.argumentsBytes,
          first.payload.argumentsKwBytes == again.payload.argumentsKwBytes
    else {
        fatalError("encoding a decoded publication changed it")
    }
    return 0
}
