import NATSClient
import NIOCore

/// libFuzzer entry: any bytes as what a NATS server sends, and as one headers block.
///
/// Input layout: byte 0 picks where the stream is cut in two (so incremental feeding is
/// exercised), the rest is the stream. `NATSServerOperationParser.next` must answer every
/// input with operations, "need more", or a typed `NATSError`; never a trap, a leak, or an
/// allocation sized by a length the input declares (ASan, LeakSanitizer and -rss_limit_mb
/// watch; max_payload is left at its 1 MiB default, and an INFO may raise it to 64 MiB at
/// most). Feeding at once and feeding in two pieces must give the same operations and the
/// same error. A parsed headers block must encode to bytes that parse to an equal block.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNATSParser(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    guard let first = input.first else { return 0 }
    let stream = Array(input.dropFirst())
    let cut = stream.isEmpty ? 0 : Int(first) % (stream.count + 1)

    let whole = run([stream])
    let split = run([Array(stream[..<cut]), Array(stream[cut...])])
    guard whole.operations == split.operations, whole.error == split.error else {
        fatalError("feeding in two pieces changed the result: \(whole) vs \(split)")
    }

    var block = ByteBuffer()
    block.writeBytes(stream)
    if let headers = try? NATSHeaders.parse(block) {
        var encoded = ByteBuffer()
        do {
            try headers.encode(into: &encoded)
        } catch {
            fatalError("a parsed headers block does not encode: \(error)")
        }
        guard (try? NATSHeaders.parse(encoded)) == headers else { fatalError("headers round trip changed the block") }
    }
    return 0
}

private func run(_ pieces: [[UInt8]]) -> (operations: [NATSServerOperation], error: NATSError?) {
    var parser = NATSServerOperationParser()
    var buffer = ByteBuffer()
    var operations: [NATSServerOperation] = []
    for piece in pieces {
        buffer.writeBytes(piece)
        do {
            while let operation = try parser.next(from: &buffer) {
                if case .info(let info) = operation { parser.maxPayload = info.maxPayload }
                operations.append(operation)
            }
        } catch let error as NATSError {
            return (operations, error)
        } catch {
            fatalError("an error that is not a NATSError: \(error)")
        }
    }
    return (operations, nil)
}
