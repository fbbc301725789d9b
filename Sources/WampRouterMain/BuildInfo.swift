import CJansson
import WampRouter

/// What `wamp-router version` prints. The commit and the Swift package versions come from
/// `GeneratedBuildInfo` (BuildInfoPlugin writes it on every build); jansson's version is asked
/// of the library loaded at run time, which may differ from the headers it was built against.
enum BuildInfo {
    static var janssonRuntimeVersion: String { String(cString: jansson_version_str()) }
    static var janssonHeaderVersion: String { JANSSON_VERSION }

    /// The report of this binary.
    static var report: String {
        report(commit: GeneratedBuildInfo.commit, janssonRuntime: janssonRuntimeVersion,
               janssonHeaders: janssonHeaderVersion, packages: GeneratedBuildInfo.packageVersions)
    }

    /// One `name: value` per line, the router first.
    static func report(commit: String, janssonRuntime: String, janssonHeaders: String,
                       packages: [(package: String, version: String)]) -> String {
        var lines = ["wamp-router \(RouterVersion.number)", "commit: \(commit)"]
        lines.append(janssonRuntime == janssonHeaders
                     ? "jansson: \(janssonRuntime)"
                     : "jansson: \(janssonRuntime) (built against \(janssonHeaders))")
        for (package, version) in packages {
            // swift-nio-ssl compiles in its own copy of BoringSSL: the TLS library is that copy.
            let note = package == "swift-nio-ssl" ? " (TLS: the BoringSSL bundled with it)" : ""
            lines.append("\(package): \(version)\(note)")
        }
        return lines.joined(separator: "\n")
    }
}
