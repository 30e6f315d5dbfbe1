// swift-tools-version:6.1
import PackageDescription

/// Settings every Swift target shares: Swift 6 language mode is the package default; these make imports explicit.
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "ImageGate",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "imagegate", targets: ["ImageGate"])
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/vapor/sql-kit.git", from: "3.36.0"),
        .package(url: "https://github.com/vapor/sqlite-kit.git", from: "4.5.2"),
        .package(url: "https://github.com/vapor/postgres-kit.git", from: "2.17.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/vapor/multipart-kit.git", from: "4.7.1"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-system.git", from: "1.5.0"),
        // Micro-benchmarks of the hot path, compared with a committed baseline in CI (`scripts/microbench`).
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // MARK: Imaging (libvips through a C shim: most of libvips' API is C-variadic, which Swift cannot call)
        .systemLibrary(name: "CVips", path: "Sources/CVips", pkgConfig: "vips", providers: [.apt(["libvips-dev"])]),
        .target(name: "CVipsShim", dependencies: ["CVips"], path: "Sources/CVipsShim"),
        .target(name: "Imaging", dependencies: ["CVipsShim"], swiftSettings: strictSettings),

        // MARK: Shared by every module, the emulator included: JSON values, hex, constant-time comparison
        .target(
            name: "Essentials",
            dependencies: [.product(name: "Metrics", package: "swift-metrics")],
            swiftSettings: strictSettings
        ),

        // MARK: Domain
        .target(
            name: "Catalog",
            resources: [.embedInCode("catalog.json")],
            swiftSettings: strictSettings
        ),
        .target(
            name: "Storage",
            dependencies: [
                "Essentials",
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "SQLiteKit", package: "sqlite-kit"),
                .product(name: "PostgresKit", package: "postgres-kit"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "Billing",
            dependencies: [
                "Storage", "Essentials",
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "Blobs",
            dependencies: [
                "Essentials",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "_NIOFileSystem", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "Providers",
            dependencies: [
                "Catalog", "Imaging", "Essentials",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strictSettings
        ),
        // Outbound HTTP to hosts the server is told about: which addresses it may reach, and the clients' settings.
        .target(
            name: "Outbound",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        // Webhooks: the outbox and its tables, the signing secrets, the dispatcher that sends them.
        .target(
            name: "Webhooks",
            dependencies: [
                "Storage", "Outbound", "Essentials",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "SQLKit", package: "sql-kit"),
            ],
            swiftSettings: strictSettings
        ),
        // The generation use cases: validation, references, the generations and outputs tables, settlement.
        .target(
            name: "Generation",
            dependencies: [
                "Catalog", "Billing", "Storage", "Blobs", "Providers", "Imaging", "Webhooks", "Outbound", "Essentials",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strictSettings
        ),
        // The job engine: workers, runner, leases, the local queue, output mirroring, the janitor.
        .target(
            name: "JobEngine",
            dependencies: [
                "Generation", "Catalog", "Billing", "Storage", "Blobs", "Providers", "Imaging", "Essentials",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strictSettings
        ),
        // The use cases of accounts and of the operator: keys, credit, statements, usage, margin and the books audit
        .target(
            name: "Accounts",
            dependencies: [
                "Generation", "Webhooks", "Billing", "Storage", "Blobs", "Essentials", "Payments",
                .product(name: "SQLKit", package: "sql-kit"),
            ],
            swiftSettings: strictSettings
        ),
        // Card top-ups: orders, Stripe Checkout sessions and Stripe's signed events.
        .target(
            name: "Payments",
            dependencies: [
                "Billing", "Storage", "Essentials",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "SQLKit", package: "sql-kit"),
            ],
            swiftSettings: strictSettings
        ),
        // Outbound mail: a small SMTP client on SwiftNIO (STARTTLS, AUTH PLAIN) for sign-up and password-reset mails.
        .target(
            name: "Mail",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // Self-service accounts: users, sessions stored in the database, mailed links, invites, attempt limits.
        .target(
            name: "Customers",
            dependencies: [
                "Billing", "Storage", "Essentials", "Mail",
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "SQLKit", package: "sql-kit"),
            ],
            swiftSettings: strictSettings
        ),
        // MARK: The web face: pages rendered from the catalog, with their scripts and stylesheet compiled into the binary
        .target(
            name: "WebFace",
            dependencies: [
                "Catalog", "Billing", "Essentials",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            resources: [
                .embedInCode("Templates/layout.mustache"),
                .embedInCode("Templates/key.mustache"),
                .embedInCode("Templates/models.mustache"),
                .embedInCode("Templates/model.mustache"),
                .embedInCode("Templates/playground.mustache"),
                .embedInCode("Templates/account.mustache"),
                .embedInCode("Templates/admin.mustache"),
                .embedInCode("Templates/notfound.mustache"),
                .embedInCode("Templates/generation.mustache"),
                .embedInCode("Templates/docs.mustache"),
                .embedInCode("Templates/markdown.mustache"),
                .embedInCode("Templates/spans.mustache"),
                .embedInCode("Templates/auth.mustache"),
                .embedInCode("Assets/site.css"),
                .embedInCode("Assets/favicon.svg"),
                .embedInCode("Assets/common.js"),
                .embedInCode("Assets/copy.js"),
                .embedInCode("Assets/charts.js"),
                .embedInCode("Assets/tabs.js"),
                .embedInCode("Assets/snippets.js"),
                .embedInCode("Assets/history.js"),
                .embedInCode("Assets/playground.js"),
                .embedInCode("Assets/account-manage.js"),
                .embedInCode("Assets/account.js"),
                .embedInCode("Assets/generation.js"),
                .embedInCode("Assets/admin.js"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "GatewayAPI",
            dependencies: [
                "Catalog", "Billing", "Generation", "Webhooks", "Accounts", "Blobs", "Providers", "Imaging", "Essentials", "WebFace",
                "Payments", "Customers",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdAuth", package: "hummingbird-auth"),
                .product(name: "MultipartKit", package: "multipart-kit"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            resources: [.embedInCode("openapi.json")],
            swiftSettings: strictSettings
        ),
        // BytePlus ModelArk's image API, offline (`imagegate ark-emulator`)
        .target(
            name: "ArkEmulator",
            dependencies: [
                "Imaging", "Essentials",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "StripeEmulator",
            dependencies: [
                "Payments", "Essentials",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "FalEmulator",
            dependencies: [
                "Imaging", "Essentials",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),

        // MARK: Bootstrap (the only place that knows the live implementations) and the CLI
        .target(
            name: "ImageGateApp",
            dependencies: [
                "GatewayAPI", "Generation", "JobEngine", "Webhooks", "Outbound", "Accounts", "Billing", "Storage", "Blobs", "Providers", "Catalog",
                "Imaging", "Payments", "Customers", "Mail",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "ImageGate",
            dependencies: [
                "ImageGateApp", "Billing", "Storage", "Catalog", "FalEmulator", "ArkEmulator", "StripeEmulator", "Generation", "Accounts", "Imaging",
                "Blobs", "Essentials", "Payments", "Customers", "Mail",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),

        // MARK: Benchmarks
        // The hot path's steps for `scripts/microbench`: built in debug with the tests (testable imports reach the
        // response encoder), measured in allocations and instructions against the baseline committed beside it.
        .executableTarget(
            name: "ImageGateBenchmarks",
            dependencies: [
                "GatewayAPI", "Generation", "JobEngine", "ImageGateApp", "Billing", "Blobs", "Catalog", "Essentials", "Providers",
                "Storage", "Webhooks",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Benchmarks/ImageGateBenchmarks",
            swiftSettings: strictSettings,
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),

        // MARK: Tests
        // What a module's tests share, apart from the app: a database of either engine, a clock moved by hand, the
        // S3 server's location, cleanup that runs however a test ends.
        .target(
            name: "StorageTestSupport",
            dependencies: [
                "Storage", "Essentials",
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/StorageTestSupport"
        ),
        // Images no decoder should accept, for the probe's tests and the API's.
        .target(name: "ImagingTestSupport", dependencies: ["Imaging"], path: "Tests/ImagingTestSupport"),
        // The app-level harness: a data directory with a funded account and the real application over it.
        .target(
            name: "ImageGateTestSupport",
            dependencies: [
                "ImageGateApp", "Billing", "Storage", "Essentials", "StorageTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            path: "Tests/ImageGateTestSupport"
        ),
        .testTarget(name: "CatalogTests", dependencies: ["Catalog"]),
        .testTarget(name: "OutboundTests", dependencies: ["Outbound"]),
        .testTarget(
            name: "MailTests",
            dependencies: [
                "Mail",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
            ]
        ),
        .testTarget(name: "JobEngineTests", dependencies: ["JobEngine", "Generation", "Essentials", "StorageTestSupport"]),
        .testTarget(
            name: "WebFaceTests",
            dependencies: [
                "WebFace", "Catalog",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
        .testTarget(name: "ImagingTests", dependencies: ["Imaging", "ImagingTestSupport"]),
        .testTarget(name: "BillingTests", dependencies: ["Billing", "Storage", "Essentials", "StorageTestSupport"]),
        .testTarget(
            name: "PaymentsTests",
            dependencies: [
                "Payments", "Billing", "Storage", "Essentials", "StorageTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SQLKit", package: "sql-kit"),
            ]
        ),
        .testTarget(
            name: "CustomersTests",
            dependencies: [
                "Customers", "Billing", "Payments", "Storage", "Essentials", "StorageTestSupport", "Mail",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SQLKit", package: "sql-kit"),
            ]
        ),
        .testTarget(
            name: "BlobsTests",
            dependencies: [
                "Blobs", "StorageTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "StorageTests",
            dependencies: [
                "Storage", "StorageTestSupport", "Essentials", .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "ProvidersTests",
            dependencies: [
                "Providers", "Outbound", "Catalog", "Imaging", "ArkEmulator", "Essentials", "StorageTestSupport",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "GatewayAPITests",
            dependencies: [
                "GatewayAPI", "Generation", "Webhooks", "Billing", "Blobs", "Catalog", "Imaging", "Essentials", "Customers",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
        .testTarget(
            name: "GenerationTests",
            dependencies: [
                "Generation", "JobEngine", "Webhooks", "Outbound", "Accounts", "Providers", "Billing", "Storage", "Blobs", "Catalog", "Imaging",
                "Essentials", "StorageTestSupport", "Payments",
                "ImagingTestSupport", .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        .testTarget(
            name: "GatewayIntegrationTests",
            dependencies: [
                "ImageGateApp", "Mail", "ImageGateTestSupport", "StorageTestSupport", "ImagingTestSupport", "GatewayAPI", "Generation", "JobEngine",
                "Webhooks", "Outbound", "Accounts", "Customers",
                "Providers",
                "Billing", "Storage", "Catalog", "Imaging", "Blobs",
                "Essentials",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            ]
        ),
        .testTarget(
            name: "FalIntegrationTests",
            dependencies: [
                "ImageGateApp", "ImageGateTestSupport", "StorageTestSupport", "FalEmulator", "Generation", "JobEngine", "Webhooks", "Accounts",
                "Providers", "Billing",
                "Storage",
                "Catalog", "Blobs",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "SQLKit", package: "sql-kit"),
            ]
        ),
    ]
)
