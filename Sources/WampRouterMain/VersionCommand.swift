import ArgumentParser

/// `wamp-router version`: the router's version, the git commit it was built from, and the
/// versions of the libraries that shape its behaviour on the wire (jansson, SwiftNIO, TLS).
struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version",
        abstract: "Print the router's version, git commit, and the versions of jansson, SwiftNIO and swift-nio-ssl (BoringSSL)."
    )

    func run() {
        print(BuildInfo.report)
    }
}
