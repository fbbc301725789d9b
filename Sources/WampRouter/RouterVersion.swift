/// The router's own version: in WELCOME's `agent` and in `wamp-router version`.
public enum RouterVersion {
    public static let number = "0.1"
}
