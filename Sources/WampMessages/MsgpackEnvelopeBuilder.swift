import CJansson

/// Builds the jansson array `MessageFields` reads from the envelope elements (everything before
/// `Arguments`) of a MessagePack message that `MsgpackScanner` has validated; payload elements
/// are never touched.
///
/// The values take the forms the JSON decoder gives them, so a MessagePack message is held to
/// exactly the rules a JSON one is: maps become objects, binaries the spec's JSON spelling
/// (NUL + base64), integers that fit Int64 integers. A uint64 above `Int64.max` becomes a real,
/// as an integer beyond 64 bits does in JSON: an option that wants an integer refuses it, and
/// for a direct element its bit in `bigIntegerElements` makes an ID check say "out of range".
enum MsgpackEnvelopeBuilder {
    struct Envelope {
        let array: UnsafeMutablePointer<json_t>
        let bigIntegerElements: UInt8
    }

    /// The new array (a reference the caller owns), or an error with nothing left allocated.
    static func build(_ bytes: UnsafeRawBufferPointer, _ layout: MessageLayout, envelopeCount: Int) throws(WampDecodeError) -> Envelope {
        guard let array = json_array() else { throw outOfMemory }
        var bigIntegers: UInt8 = 0
        for index in 0..<envelopeCount {
            var reader = MsgpackReader(bytes, range: layout.range(index))
            do throws(MsgpackReader.Failure) {
                let token = try reader.next()
                if case .unsignedInteger = token { bigIntegers |= 1 << UInt8(index) }
                json_array_append_new(array, try value(token, &reader))
            } catch {
                cjansson_decref(array)
                throw WampDecodeError(.invalidMessagePack, "message element \(index) cannot be read: \(error.reason) at byte \(error.position)")
            }
        }
        return Envelope(array: array, bigIntegerElements: bigIntegers)
    }

    private static let outOfMemory = WampDecodeError(.invalidMessagePack, "out of memory reading the message envelope")

    /// A new jansson value for `token` and the items after it that belong to it. Recursion is
    /// bounded by the scanner's depth limit, which the input has passed.
    private static func value(_ token: MsgpackToken, _ reader: inout MsgpackReader) throws(MsgpackReader.Failure) -> UnsafeMutablePointer<json_t> {
        let made: UnsafeMutablePointer<json_t>?
        switch token {
        case .null: made = json_null()
        case .bool(let value): made = value ? json_true() : json_false()
        case .integer(let value): made = json_integer(value)
        case .unsignedInteger(let value): made = json_real(Double(value))
        case .double(let value):
            guard value.isFinite else {
                throw MsgpackReader.Failure(reason: "NaN and infinity have no JSON form in Details/Options", position: reader.position)
            }
            made = json_real(value)
        case .string(let range):
            made = json_stringn_nocheck(reader.text(range), range.count)
        case .binary(let range):
            let length = BinaryText.encodedLength(range.count)
            made = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: length) { text in
                BinaryText.encode(UnsafeRawBufferPointer(start: reader.base + range.lowerBound, count: range.count), into: text.baseAddress!)
                return text.baseAddress!.withMemoryRebound(to: CChar.self, capacity: length) { json_stringn_nocheck($0, length) }
            }
        case .array(let count):
            guard let array = json_array() else { made = nil; break }
            for _ in 0..<count {
                do throws(MsgpackReader.Failure) {
                    json_array_append_new(array, try value(try reader.next(), &reader))
                } catch {
                    cjansson_decref(array)
                    throw error
                }
            }
            return array
        case .map(let count):
            guard let object = json_object() else { made = nil; break }
            for _ in 0..<count {
                do throws(MsgpackReader.Failure) {
                    let keyStart = reader.position
                    guard case .string(let key) = try reader.next() else {
                        throw MsgpackReader.Failure(reason: "a map key must be a string", position: keyStart)
                    }
                    guard !UnsafeRawBufferPointer(start: reader.base + key.lowerBound, count: key.count).contains(0) else {
                        throw MsgpackReader.Failure(reason: "a map key contains NUL, which JSON peers cannot receive", position: keyStart)
                    }
                    let member = try value(try reader.next(), &reader)
                    json_object_setn_new_nocheck(object, reader.text(key), key.count, member)
                } catch {
                    cjansson_decref(object)
                    throw error
                }
            }
            return object
        }
        guard let made else { throw MsgpackReader.Failure(reason: "out of memory", position: reader.position) }
        return made
    }
}

extension MsgpackReader {
    /// The bytes at `range` as the C characters jansson takes.
    fileprivate func text(_ range: Range<Int>) -> UnsafePointer<CChar> {
        UnsafeRawPointer(base + range.lowerBound).assumingMemoryBound(to: CChar.self)
    }
}
