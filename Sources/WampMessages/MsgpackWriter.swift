import CJansson
import NIOCore

/// Writes MessagePack into one ByteBuffer, always in the smallest format for each value (what
/// the spec asks of an encoder, and what the wamp-proto test vectors hold), floats as float64.
struct MsgpackWriter {
    var buffer: ByteBuffer

    init(capacity: Int) {
        buffer = ByteBufferAllocator().buffer(capacity: capacity)
    }

    init(appendingTo buffer: ByteBuffer) {
        self.buffer = buffer
    }

    mutating func null() { buffer.writeInteger(UInt8(0xC0)) }

    mutating func bool(_ value: Bool) { buffer.writeInteger(UInt8(value ? 0xC3 : 0xC2)) }

    mutating func integer(_ value: Int64) {
        if value >= 0 {
            unsigned(UInt64(value))
        } else if value >= -32 {
            buffer.writeInteger(UInt8(bitPattern: Int8(value)))
        } else if value >= Int64(Int8.min) {
            buffer.writeInteger(UInt8(0xD0))
            buffer.writeInteger(Int8(value))
        } else if value >= Int64(Int16.min) {
            buffer.writeInteger(UInt8(0xD1))
            buffer.writeInteger(Int16(value))
        } else if value >= Int64(Int32.min) {
            buffer.writeInteger(UInt8(0xD2))
            buffer.writeInteger(Int32(value))
        } else {
            buffer.writeInteger(UInt8(0xD3))
            buffer.writeInteger(value)
        }
    }

    mutating func unsigned(_ value: UInt64) {
        if value <= 0x7F {
            buffer.writeInteger(UInt8(value))
        } else if value <= UInt64(UInt8.max) {
            buffer.writeInteger(UInt8(0xCC))
            buffer.writeInteger(UInt8(value))
        } else if value <= UInt64(UInt16.max) {
            buffer.writeInteger(UInt8(0xCD))
            buffer.writeInteger(UInt16(value))
        } else if value <= UInt64(UInt32.max) {
            buffer.writeInteger(UInt8(0xCE))
            buffer.writeInteger(UInt32(value))
        } else {
            buffer.writeInteger(UInt8(0xCF))
            buffer.writeInteger(value)
        }
    }

    mutating func double(_ value: Double) {
        buffer.writeInteger(UInt8(0xCB))
        buffer.writeInteger(value.bitPattern)
    }

    mutating func string(_ value: String) throws(PayloadConversionError) {
        try header(value.utf8.count, fix: (0xA0, 31), widths: (0xD9, 0xDA, 0xDB), "a string")
        buffer.writeString(value)
    }

    mutating func string(bytes: UnsafeRawBufferPointer) throws(PayloadConversionError) {
        try header(bytes.count, fix: (0xA0, 31), widths: (0xD9, 0xDA, 0xDB), "a string")
        buffer.writeBytes(bytes)
    }

    mutating func binary(_ bytes: some Collection<UInt8>) throws(PayloadConversionError) {
        try header(bytes.count, fix: nil, widths: (0xC4, 0xC5, 0xC6), "a binary")
        buffer.writeBytes(bytes)
    }

    mutating func arrayHeader(_ count: Int) throws(PayloadConversionError) {
        try header(count, fix: (0x90, 15), widths: (nil, 0xDC, 0xDD), "an array")
    }

    mutating func mapHeader(_ count: Int) throws(PayloadConversionError) {
        try header(count, fix: (0x80, 15), widths: (nil, 0xDE, 0xDF), "a map")
    }

    /// Bytes that already are MessagePack (a forwarded payload), as they are.
    mutating func raw(_ bytes: ByteBuffer) {
        var bytes = bytes
        buffer.writeBuffer(&bytes)
    }

    /// A length-prefixed item's header: the fix form when it fits, else the 8-, 16- or 32-bit one.
    private mutating func header(
        _ count: Int, fix: (UInt8, Int)?, widths: (UInt8?, UInt8, UInt8), _ what: String
    ) throws(PayloadConversionError) {
        if let (base, maximum) = fix, count <= maximum {
            buffer.writeInteger(base | UInt8(count))
        } else if let width8 = widths.0, count <= Int(UInt8.max) {
            buffer.writeInteger(width8)
            buffer.writeInteger(UInt8(count))
        } else if count <= Int(UInt16.max) {
            buffer.writeInteger(widths.1)
            buffer.writeInteger(UInt16(count))
        } else if count <= Int(UInt32.max) {
            buffer.writeInteger(widths.2)
            buffer.writeInteger(UInt32(count))
        } else {
            throw PayloadConversionError("\(what) of \(count) items or bytes is too large for MessagePack")
        }
    }

    // MARK: jansson values (Details/Options)

    /// A jansson value as MessagePack. A string in the spec's binary spelling (NUL, then
    /// canonical base64) is written as a binary; integers as integers, reals as float64.
    mutating func json(_ value: UnsafeMutablePointer<json_t>) throws(PayloadConversionError) {
        switch value.pointee.type {
        case JSON_OBJECT:
            try mapHeader(json_object_size(value))
            var iterator = json_object_iter(value)
            while let current = iterator {
                let key = json_object_iter_key(current)!
                try string(bytes: UnsafeRawBufferPointer(start: key, count: json_object_iter_key_len(current)))
                try json(json_object_iter_value(current)!)
                iterator = json_object_iter_next(value, current)
            }
        case JSON_ARRAY:
            let count = json_array_size(value)
            try arrayHeader(count)
            for index in 0..<count { try json(json_array_get(value, index)!) }
        case JSON_STRING:
            let text = UnsafeRawBufferPointer(start: json_string_value(value), count: json_string_length(value))
            if text.first == 0, let bytes = BinaryText.decode(text) {
                try binary(bytes)
            } else {
                try string(bytes: text)
            }
        case JSON_INTEGER: integer(json_integer_value(value))
        case JSON_REAL: double(json_real_value(value))
        case JSON_TRUE: bool(true)
        case JSON_FALSE: bool(false)
        default: null()
        }
    }
}
