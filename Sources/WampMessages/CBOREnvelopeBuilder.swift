import CJansson
import NIOCore

/// Builds the jansson array `MessageFields` reads from the envelope elements of a CBOR message
/// (everything before `Arguments`), so CBOR messages are held to exactly the field rules JSON
/// ones are. Payload elements are never visited.
///
/// The mapping is the one the JSON decoder would produce for the same message sent as JSON:
/// text-keyed maps become objects, byte strings become WAMP's binary strings (NUL + base64,
/// `BinaryText`), integers that fit Int64 become integers and larger ones reals (so an
/// ID check says "out of range" and an integer option refuses them, as for JSON), and floats
/// become reals. What JSON cannot hold (tags other than self-describe, non-text keys, keys with
/// NUL, undefined and other simple values, NaN and infinities) is a wrong field type: the bytes
/// are well-formed CBOR, just not a WAMP envelope.
///
/// Runs only on bytes `CBORScanner` validated (depth bounded by `CBORScanner.maximumDepth`,
/// size by `MessageDecoder.Limits.maxOptionsBytes`), so its recursion and the tree are bounded.
/// Every json_t it creates is either in the returned array or released before it throws.
enum CBOREnvelopeBuilder {
    static func build(_ buffer: ByteBuffer, _ layout: MessageLayout, envelopeCount: Int) throws(WampDecodeError) -> UnsafeMutablePointer<json_t> {
        let root = json_array()!
        do {
            try buffer.withUnsafeReadableBytes { (bytes) throws(WampDecodeError) in
                for index in 0..<envelopeCount {
                    let range = layout.range(index)
                    var reader = CBORReader(UnsafeRawBufferPointer(rebasing: bytes[range]))
                    let element = try value(&reader, element: index)
                    json_array_append_new(root, element)
                }
            }
        } catch {
            cjansson_decref(root)
            throw error
        }
        return root
    }

    private static func refuse(_ element: Int, _ what: String) -> WampDecodeError {
        WampDecodeError(.wrongFieldType, "element \(element) of the message holds \(what), which a WAMP envelope cannot carry")
    }

    /// One validated data item as a new jansson reference.
    private static func value(_ reader: inout CBORReader, element: Int) throws(WampDecodeError) -> UnsafeMutablePointer<json_t> {
        // The scanner accepted these bytes, so reading them again cannot fail.
        guard var head = try? reader.readHead() else { throw malformed() }
        // A loop, not recursion: a peer may chain any number of tags.
        while head.majorType == CBORHead.tag && head.argument == CBORHead.selfDescribeTag {
            guard let next = try? reader.readHead() else { throw malformed() }
            head = next
        }
        switch head.majorType {
        case CBORHead.unsigned:
            return head.argument <= UInt64(Int64.max) ? json_integer(Int64(head.argument)) : json_real(Double(head.argument))
        case CBORHead.negative:
            return head.argument <= UInt64(Int64.max) ? json_integer(-1 - Int64(head.argument)) : json_real(-1 - Double(head.argument))
        case CBORHead.byteString:
            return try withStringBytes(head, &reader) { bytes in
                let length = BinaryText.encodedLength(bytes.count)
                return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: length) { text in
                    BinaryText.encode(UnsafeRawBufferPointer(bytes), into: text.baseAddress!)
                    return json_stringn(chars(UnsafeBufferPointer(text)), length)!
                }
            }
        case CBORHead.textString:
            return try withStringBytes(head, &reader) { json_stringn(chars($0), $0.count)! }
        case CBORHead.array:
            let array = json_array()!
            do {
                if head.isIndefinite {
                    while !(try atBreak(&reader)) { json_array_append_new(array, try value(&reader, element: element)) }
                } else {
                    for _ in 0..<head.argument { json_array_append_new(array, try value(&reader, element: element)) }
                }
            } catch {
                cjansson_decref(array)
                throw error
            }
            return array
        case CBORHead.map:
            let object = json_object()!
            do {
                if head.isIndefinite {
                    while !(try atBreak(&reader)) { try member(&reader, into: object, element: element) }
                } else {
                    for _ in 0..<head.argument { try member(&reader, into: object, element: element) }
                }
            } catch {
                cjansson_decref(object)
                throw error
            }
            return object
        case CBORHead.tag:
            throw refuse(element, "CBOR tag \(head.argument)")
        default:
            if let double = head.floatValue {
                // jansson refuses NaN and infinities (JSON has no spelling for them).
                guard double.isFinite, let real = json_real(double) else { throw refuse(element, "a float that is not finite") }
                return real
            }
            switch head.additionalInfo {
            case 20: return json_false()
            case 21: return json_true()
            case 22: return json_null()
            case 23: throw refuse(element, "the CBOR value undefined")
            default: throw refuse(element, "CBOR simple value \(head.argument)")
            }
        }
    }

    private static func member(_ reader: inout CBORReader, into object: UnsafeMutablePointer<json_t>, element: Int) throws(WampDecodeError) {
        guard var keyHead = try? reader.readHead() else { throw malformed() }
        while keyHead.majorType == CBORHead.tag && keyHead.argument == CBORHead.selfDescribeTag {
            guard let next = try? reader.readHead() else { throw malformed() }
            keyHead = next
        }
        guard keyHead.majorType == CBORHead.textString else {
            throw refuse(element, "a dict key of CBOR major type \(keyHead.majorType) (keys must be text strings)")
        }
        // A definite key (the usual case) is handed to jansson as its bytes in the message.
        var joinedKey: [UInt8] = []
        var keyRange: Range<Int>? = nil
        if keyHead.isIndefinite {
            joinedKey = try withStringBytes(keyHead, &reader) { Array($0) }
        } else {
            guard let range = try? reader.readStringBytes(keyHead.argument, text: true) else { throw malformed() }
            keyRange = range
        }
        let hasNUL = keyRange.map { reader.bytes($0).contains(0) } ?? joinedKey.contains(0)
        guard !hasNUL else { throw refuse(element, "a dict key containing NUL") }
        let memberValue = try value(&reader, element: element)
        if let keyRange {
            let key = reader.bytes(keyRange)
            json_object_setn_new(object, chars(key), key.count, memberValue)
        } else {
            joinedKey.withUnsafeBufferPointer { key in _ = json_object_setn_new(object, chars(key), key.count, memberValue) }
        }
    }

    private static func atBreak(_ reader: inout CBORReader) throws(WampDecodeError) -> Bool {
        guard !reader.isAtEnd else { throw malformed() }
        guard reader.nextByte == 0xFF else { return false }
        _ = try? reader.readHead()
        return true
    }

    /// The content of a string head: its bytes in the message when definite (no copy), the
    /// chunks joined when indefinite. The reader is past `head`.
    private static func withStringBytes<Result>(
        _ head: CBORHead, _ reader: inout CBORReader, _ body: (UnsafeBufferPointer<UInt8>) -> Result
    ) throws(WampDecodeError) -> Result {
        let isText = head.majorType == CBORHead.textString
        do {
            guard head.isIndefinite else { return body(reader.bytes(try reader.readStringBytes(head.argument, text: isText))) }
            var joined: [UInt8] = []
            while true {
                let chunk = try reader.readHead()
                if chunk.isBreak { return joined.withUnsafeBufferPointer(body) }
                joined.append(contentsOf: reader.bytes(try reader.readStringBytes(chunk.argument, text: isText)))
            }
        } catch {
            throw malformed()
        }
    }

    private static let emptyText: StaticString = ""

    /// The bytes as jansson's `const char *`; an empty array may have no address of its own.
    private static func chars(_ bytes: UnsafeBufferPointer<UInt8>) -> UnsafePointer<CChar> {
        UnsafeRawPointer(bytes.baseAddress ?? emptyText.utf8Start).assumingMemoryBound(to: CChar.self)
    }

    private static func malformed() -> WampDecodeError {
        WampDecodeError(.invalidCBOR, "message is not well-formed CBOR")
    }
}
