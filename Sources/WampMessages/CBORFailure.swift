/// Why bytes are not one well-formed CBOR data item, and where: `position` is the offset of the
/// head or byte that is wrong, counted from the start of the bytes given to the reader.
struct CBORFailure: Error {
    var reason: String
    var position: Int
}
