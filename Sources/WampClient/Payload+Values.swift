import NIOCore
import WampMessages

/// Payloads as Swift values: build arguments from `WampValue`s and read received ones back,
/// whatever serializer they came in (a MessagePack peer's binary stays binary).
extension Payload {
    /// A payload of `arguments` and `keywords`, written in `serialization` (pick the client's
    /// own to spare a conversion on send). Keywords are written in key order, so equal
    /// dictionaries give equal bytes.
    public init(values arguments: [WampValue], keywords: [String: WampValue] = [:],
                serialization: WampSerialization = .json) throws(PayloadConversionError) {
        let members = keywords.sorted { $0.key < $1.key }.map { WampValue.Member($0.key, $0.value) }
        // WAMP puts Arguments before ArgumentsKw: keywords alone still need an (empty) list.
        var argumentsBytes: ByteBuffer?
        var argumentsKwBytes: ByteBuffer?
        if !arguments.isEmpty || !members.isEmpty {
            argumentsBytes = try PayloadConverter.encodeValue(.array(arguments), as: serialization)
        }
        if !members.isEmpty {
            argumentsKwBytes = try PayloadConverter.encodeValue(.map(members), as: serialization)
        }
        self.init(serialization: serialization, argumentsBytes: argumentsBytes, argumentsKwBytes: argumentsKwBytes)
    }

    /// `Arguments` as values; empty when the message has none.
    public func argumentValues() throws(PayloadConversionError) -> [WampValue] {
        guard let bytes = argumentsBytes else { return [] }
        guard case .array(let values) = try PayloadConverter.decodeValue(bytes, as: serialization) else {
            throw PayloadConversionError("Arguments is not a list")
        }
        return values
    }

    /// `ArgumentsKw` as a dictionary; empty when the message has none.
    public func keywordValues() throws(PayloadConversionError) -> [String: WampValue] {
        guard let bytes = argumentsKwBytes else { return [:] }
        guard case .map(let members) = try PayloadConverter.decodeValue(bytes, as: serialization) else {
            throw PayloadConversionError("ArgumentsKw is not a dict")
        }
        var keywords: [String: WampValue] = [:]
        for member in members { keywords[member.key] = member.value }
        return keywords
    }
}
