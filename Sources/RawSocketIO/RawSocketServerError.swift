/// Why a `RawSocketServer` could not start.
public enum RawSocketServerError: Error, Equatable {
    case socketPermissions(path: String, errno: Int32)
}
