import CJansson

/// jansson's flag macros import as `Int32`; its functions take `size_t`.
enum JanssonFlags {
    static let decode = Int(JSON_ALLOW_NUL | JSON_DECODE_ANY)
    static let encode = Int(JSON_COMPACT | JSON_ENCODE_ANY)
}
