// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "swift-wamp-router",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "wamp-router", targets: ["WampRouterMain"]),
        .library(name: "WampClient", targets: ["WampClient"]),
        .executable(name: "wamp-bench", targets: ["WampBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/adam-fowler/compress-nio.git", from: "1.5.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        // Tests only (WampTLSTests): they make their CA and server certificate at test time.
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
    ],
    targets: [
        .systemLibrary(
            name: "CJansson",
            pkgConfig: "jansson",
            providers: [.apt(["libjansson-dev"])]
        ),
        .target(
            name: "WampMessages",
            dependencies: [
                "CJansson",
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .target(
            name: "Realm",
            dependencies: ["WampMessages", "RouterMetrics", .product(name: "Logging", package: "swift-log")]
        ),
        .target(
            name: "WampAuth",
            dependencies: [
                "WampMessages",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "RouterConfig",
            dependencies: ["Realm", "WampAuth", "Cluster", .product(name: "Yams", package: "Yams")]
        ),
        // Per-loop counters for the hot path, aggregated on scrape into swift-prometheus collectors.
        .target(
            name: "RouterMetrics",
            dependencies: [
                "WampMessages",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            // NIO's inlined ByteBuffer accessors (the outbound message-type peek) otherwise get a
            // run-time exclusivity check per message (~75 instructions per delivered EVENT,
            // callgrind); this module's own state is only per-thread slots and a Mutex.
            swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"])]
        ),
        .target(
            name: "WampTLS",
            dependencies: [
                "WebSocketIO", "MessageTransport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),
        // The outbound path every transport shares (cross-thread queue, backlog, flush batching)
        // and the transport-security protocol TLS plugs into.
        .target(
            name: "MessageTransport",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "RawSocketIO",
            dependencies: [
                "MessageTransport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "WebSocketIO",
            dependencies: [
                "MessageTransport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Crossbar's HTTP bridge (publisher and caller paths of a web transport): HTTP requests
        // into a realm through a session of their own, over WebSocketIO's HTTPService hook.
        .target(
            name: "HTTPBridge",
            dependencies: [
                "Realm", "WampMessages", "WampAuth", "RouterConfig", "WebSocketIO",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The admin listener's endpoints (metrics, health, status page) behind WebSocketIO's
        // HTTPService hook; knows nothing of the router, which hands it closures.
        .target(
            name: "AdminHTTP",
            dependencies: [
                "WebSocketIO",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        // A small NATS client (core protocol, request/reply, JetStream key-value) for sharing
        // realms between router processes; knows nothing of WAMP.
        .target(
            name: "NATSClient",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Router nodes sharing realms through NATS (issue 12, docs/cluster.md): the cluster is
        // another implementation behind the seams Broker and Dealer use to reach peers.
        .target(
            name: "Cluster",
            dependencies: [
                "WampMessages", "Realm", "NATSClient", "MessageTransport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "WampRouter",
            dependencies: [
                "WampMessages", "Realm", "WebSocketIO", "RawSocketIO", "MessageTransport", "WampAuth", "RouterConfig", "WampTLS",
                "HTTPBridge", "RouterMetrics", "AdminHTTP", "Cluster",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "WampRouterMain",
            dependencies: [
                "WampRouter", "Realm", "RouterConfig", "WampAuth", "CJansson", "Cluster",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            plugins: ["BuildInfoPlugin"]
        ),
        // `wamp-router version`: writes the git commit and the resolved versions of SwiftNIO and
        // swift-nio-ssl into a generated source file on every build (no make step needed).
        .plugin(name: "BuildInfoPlugin", capability: .buildTool()),
        .target(
            name: "WampClient",
            dependencies: [
                "WampMessages", "WebSocketIO", "RawSocketIO", "MessageTransport", "WampAuth",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "WampBench",
            dependencies: [
                "WampMessages", "WebSocketIO", "RawSocketIO",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ]
        ),
        .testTarget(name: "WampMessagesTests", dependencies: ["WampMessages", "CJansson"]),
        .testTarget(
            name: "WampBenchTests",
            dependencies: [
                "WampBench", "WampMessages",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        .testTarget(name: "RealmTests", dependencies: ["Realm", "WampMessages"]),
        .testTarget(
            name: "RouterMetricsTests",
            dependencies: [
                "RouterMetrics", "WampMessages", "WampRouter", "WampClient", "HTTPTestSupport",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "WampAuthTests", dependencies: ["WampAuth", "WampMessages"]),
        .testTarget(
            name: "RouterConfigTests", dependencies: ["RouterConfig", "Realm", "WampAuth", "Cluster"], resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "WampTLSTests",
            dependencies: [
                "WampTLS", "WebSocketIO",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ]
        ),
        .testTarget(
            name: "WebSocketIOTests",
            dependencies: [
                "WebSocketIO",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "RawSocketIOTests",
            dependencies: [
                "RawSocketIO", "MessageTransport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "HTTPBridgeTests",
            dependencies: [
                "HTTPBridge", "Realm", "WampMessages", "RouterConfig", "WebSocketIO",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "WampRouterTests",
            dependencies: [
                "WampRouter", "WampClient", "WampMessages", "Realm", "WebSocketIO", "RawSocketIO", "WampAuth", "RouterConfig",
                "RouterMetrics", "AdminHTTP", "HTTPTestSupport",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "WampRouterMainTests",
            dependencies: [
                "WampRouterMain", "WampRouter", "Cluster",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Test support only (no product depends on it): raw HTTP exchanges over loopback.
        .target(
            name: "HTTPTestSupport",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Tests/HTTPTestSupport"
        ),
        .target(
            name: "NATSTestSupport",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Tests/NATSTestSupport"
        ),
        .testTarget(
            name: "NATSClientTests",
            dependencies: [
                "NATSClient", "NATSTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "ClusterTests",
            dependencies: [
                "Cluster", "Realm", "WampMessages", "NATSClient", "NATSTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "AdminHTTPTests",
            dependencies: [
                "AdminHTTP", "WebSocketIO", "HTTPTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)

// libFuzzer targets (fuzz/Sources, run by `make fuzz`). They exist only when the fuzz script sets
// WAMP_FUZZ=1: they have no `main` of their own (libFuzzer supplies it under -sanitize=fuzzer), so a
// plain build could not link them; and they live in this package, not a separate one, so that the
// internals they drive need only `package` access.
if Context.environment["WAMP_FUZZ"] == "1" {
    let fuzzTargets: [(name: String, dependencies: [Target.Dependency])] = [
        ("FuzzMessageDecoder", ["WampMessages", .product(name: "NIOCore", package: "swift-nio")]),
        ("FuzzMsgpackDecoder", ["WampMessages", .product(name: "NIOCore", package: "swift-nio")]),
        ("FuzzCBORDecoder", ["WampMessages", .product(name: "NIOCore", package: "swift-nio")]),
        ("FuzzWebSocketFrames", [
            "WebSocketIO",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOWebSocket", package: "swift-nio"),
        ]),
        ("FuzzPerMessageDeflate", ["WebSocketIO", .product(name: "NIOCore", package: "swift-nio")]),
        ("FuzzUpgradeNegotiation", [
            "WebSocketIO",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
        ("FuzzOriginPolicy", ["WebSocketIO"]),
        ("FuzzNATSParser", ["NATSClient", .product(name: "NIOCore", package: "swift-nio")]),
        ("FuzzRawSocketFramer", ["RawSocketIO", .product(name: "NIOCore", package: "swift-nio")]),
        ("FuzzHTTPBridgeRequest", ["HTTPBridge", "RouterConfig", "WampMessages", .product(name: "NIOCore", package: "swift-nio")]),
        ("FuzzAdminCredentials", ["AdminHTTP", .product(name: "NIOCore", package: "swift-nio")]),
        ("FuzzClusterEventCodec", ["Cluster", "Realm", "WampMessages", .product(name: "NIOCore", package: "swift-nio")]),
        ("FuzzClusterTestamentCodec", ["Cluster", "Realm", "WampMessages", .product(name: "NIOCore", package: "swift-nio")]),
        ("FuzzAuthentication", [
            "WampAuth",
            "WampMessages",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "_CryptoExtras", package: "swift-crypto"),
            .product(name: "NIOCore", package: "swift-nio"),
        ]),
    ]
    for target in fuzzTargets {
        package.targets.append(
            .executableTarget(
                name: target.name,
                dependencies: target.dependencies,
                path: "fuzz/Sources/\(target.name)",
                swiftSettings: [.unsafeFlags(["-parse-as-library"])]
            )
        )
    }
}
