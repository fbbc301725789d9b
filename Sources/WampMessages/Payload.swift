import NIOCore

/// The positional and keyword arguments an application message carries, as the sender's bytes
/// in the sender's serialization.
///
/// The router never looks inside a payload: it keeps the bytes (slices of the received frame)
/// and writes them back out unchanged to receivers that use the same serializer. Only a receiver
/// with another serializer costs a conversion (`converted(to:)`), done once per message and
/// target serializer (for a publication: once per serializer, however many subscribers).
public struct Payload: Sendable, Hashable {
    /// The serialization `argumentsBytes` and `argumentsKwBytes` are in.
    public var serialization: WampSerialization
    /// One encoded `Arguments` list, or nil when the message has none.
    public var argumentsBytes: ByteBuffer?
    /// One encoded `ArgumentsKw` dict, or nil when the message has none.
    public var argumentsKwBytes: ByteBuffer?

    public init(serialization: WampSerialization, argumentsBytes: ByteBuffer?, argumentsKwBytes: ByteBuffer?) {
        self.serialization = serialization
        self.argumentsBytes = argumentsBytes
        self.argumentsKwBytes = argumentsKwBytes
    }

    /// A JSON payload (what the router builds itself, and what JSON peers send).
    public init(arguments: RawJSON? = nil, argumentsKw: RawJSON? = nil) {
        self.serialization = .json
        self.argumentsBytes = arguments?.bytes
        self.argumentsKwBytes = argumentsKw?.bytes
    }

    public static let empty = Payload()

    public var isEmpty: Bool { argumentsBytes == nil && argumentsKwBytes == nil }

    /// Payload bytes, to bound what a message may carry.
    public var byteCount: Int { (argumentsBytes?.readableBytes ?? 0) + (argumentsKwBytes?.readableBytes ?? 0) }

    /// `Arguments` as JSON text, converted when the payload is in another serialization; nil when
    /// absent or not representable in JSON. For router features that read a payload (meta
    /// procedures, history answers) and for tests, never for routing.
    public var arguments: RawJSON? {
        get { Self.jsonView(argumentsBytes, serialization) }
        set { setJSON(arguments: newValue, argumentsKw: argumentsKw) }
    }

    /// `ArgumentsKw` as JSON text; see `arguments`.
    public var argumentsKw: RawJSON? {
        get { Self.jsonView(argumentsKwBytes, serialization) }
        set { setJSON(arguments: arguments, argumentsKw: newValue) }
    }

    private mutating func setJSON(arguments: RawJSON?, argumentsKw: RawJSON?) {
        self = Payload(arguments: arguments, argumentsKw: argumentsKw)
    }

    private static func jsonView(_ bytes: ByteBuffer?, _ serialization: WampSerialization) -> RawJSON? {
        guard let bytes else { return nil }
        if serialization == .json { return RawJSON(validatedBytes: bytes) }
        guard let converted = try? PayloadConverter.convert(bytes, from: serialization, to: .json) else { return nil }
        return RawJSON(validatedBytes: converted)
    }

    /// The same payload in `target`'s serialization: itself when already there, else each part
    /// converted through `WampValue`. Throws when a value has no lossless form in `target`.
    public func converted(to target: WampSerialization) throws(PayloadConversionError) -> Payload {
        guard target != serialization, !isEmpty else {
            var same = self
            if isEmpty { same.serialization = target }
            return same
        }
        return Payload(
            serialization: target,
            argumentsBytes: try argumentsBytes.map { bytes throws(PayloadConversionError) in
                try PayloadConverter.convert(bytes, from: serialization, to: target)
            },
            argumentsKwBytes: try argumentsKwBytes.map { bytes throws(PayloadConversionError) in
                try PayloadConverter.convert(bytes, from: serialization, to: target)
            })
    }
}
