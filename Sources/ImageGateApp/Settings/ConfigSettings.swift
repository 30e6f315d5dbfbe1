import Billing

/// The declarations of every `serve` and operator setting: the one place a setting, its default and its help live.
package enum ConfigSettings {
    /// Where the data lives: every command that opens the database or the blob store reads these.
    package static let data: [ConfigSetting] = [
        .init("data-dir", .text, default: "./data", help: "Data directory."),
        .init(
            "database",
            .text,
            secret: true,
            help: "SQLite database file, or a postgres://user:password@host:port/db URL. Unset: <data dir>/imagegate.sqlite"
        ),
        .init("blob-store", .text, default: "file", help: "Where outputs are kept: file (<data dir>/blobs) or s3://BUCKET."),
        .init("s3-endpoint", .text, help: "S3 server URL, e.g. http://127.0.0.1:8333. Unset: AWS"),
        .init("s3-region", .text, default: "us-east-1", aliases: ["AWS_REGION"], help: "S3 region."),
        .init("s3-access-key-id", .text, aliases: ["AWS_ACCESS_KEY_ID"], help: "S3 access key id."),
        .init(
            "s3-secret-access-key",
            .text,
            secret: true,
            aliases: ["AWS_SECRET_ACCESS_KEY"],
            help: "S3 secret key (better in the environment or a file: a command line is visible to every user)."
        ),
        .init("s3-session-token", .text, secret: true, aliases: ["AWS_SESSION_TOKEN"], help: "S3 session token, with temporary keys."),
        .init(
            "s3-addressing",
            .choice(["path", "virtual-host"]),
            help: "path (endpoint/bucket/key) or virtual-host (bucket.endpoint/key). Unset: path with --s3-endpoint, virtual-host on AWS"
        ),
    ]

    /// What `imagegate serve` reads besides the data settings.
    package static let server: [ConfigSetting] = [
        .init("host", .text, default: "127.0.0.1", help: "Address to listen on."),
        .init("port", .integer(0...65_535), default: "8080", help: "Port to listen on."),
        .init("public-url", .text, help: "Base of every output_url. Unset: http://HOST:PORT"),
        .init("output-retention", .duration(1...Int64.max / 1000), default: "7d", help: "How long outputs stay downloadable."),
        .init(
            "provider",
            .choice(["auto", "local", "fal"]),
            default: "auto",
            help: "auto: each model on its first catalog route with a key (else the local stand-in); local: the stand-in for all; fal: fal for all."
        ),
        .init("fal-key", .text, secret: true, aliases: ["FAL_KEY"], help: "fal.ai API key."),
        .init("fal-queue-url", .text, default: "https://queue.fal.run", help: "fal queue host."),
        .init("fal-endpoint-generate", .text, help: "fal endpoint for mode generate. Unset: the catalog's"),
        .init("fal-endpoint-edit", .text, help: "fal endpoint for mode edit. Unset: the catalog's"),
        .init("sync-timeout", .duration(0...86_400), default: "120s", help: "How long a synchronous call waits before answering 202 (0: at once)."),
        .init("lease", .duration(3...3_600), default: "30s", help: "How long a dead worker's generation waits before another run takes it over."),
        .init(
            "breaker-cooldown",
            .duration(1...3_600),
            default: "30s",
            help: "How long a route's open circuit breaker refuses attempts before it lets one probe through."
        ),
        .init("admin-token", .text, secret: true, help: "Token for the admin API, 32 characters or more. Unset: the admin API is off"),
        .init(
            "admin-tokens",
            .text,
            secret: true,
            help: "Several admin tokens at once, comma-separated (each 32+ characters): add the new one, move clients, drop the old."
        ),
        .init("stripe-secret-key", .text, secret: true, aliases: ["STRIPE_SECRET_KEY"], help: "Stripe secret key: turns card top-ups on."),
        .init(
            "stripe-webhook-secret",
            .text,
            secret: true,
            aliases: ["STRIPE_WEBHOOK_SECRET"],
            help: "The signing secret (whsec_…) of the Stripe endpoint that sends POST /webhooks/stripe."
        ),
        .init("stripe-api-base", .text, default: "https://api.stripe.com", help: "Stripe's API address (a fake Stripe's in tests)."),
        .init("topup-min-usd", .text, default: "5", help: "Smallest card top-up, in dollars."),
        .init("topup-max-usd", .text, default: "500", help: "Largest card top-up, in dollars."),
        .init(
            "signup",
            .choice(["open", "invite", "closed"]),
            default: "closed",
            help:
                "Who may create an account at /signup: anyone (open), people with an invite code (invite), nobody (closed). Open and invite need mail settings."
        ),
        .init("signup-credit-usd", .text, default: "0", help: "Credit a new user gets once their email is verified, in dollars."),
        .init("no-default-account", .flag, default: "false", help: "On a fresh database, do not create account 'default' with $10 and a key."),
        .init("allow-private-image-urls", .flag, default: "false", help: "Let image_urls reach loopback and private addresses."),
        .init("allow-private-webhook-urls", .flag, default: "false", help: "Let webhook_url reach loopback and private addresses."),
        .init(
            "webhook-first-retry",
            .duration(1...3_600),
            default: "5s",
            help: "Wait before a failed webhook's first retry; it doubles up to 1h, for at least 24h."
        ),
        .init(
            "header-timeout",
            .duration(1...3_600),
            default: "30s",
            help: "Close a connection whose request head takes longer than this to arrive."
        ),
        .init("body-timeout", .duration(1...86_400), default: "300s", help: "Answer 408 to a request whose body takes longer than this."),
        .init("metrics-port", .integer(0...65_535), help: "Serve GET /metrics (Prometheus) on this port, apart from the API. Unset: off"),
        .init("metrics-host", .text, default: "127.0.0.1", help: "Address of the metrics listener."),
        .init(
            "trusted-proxies",
            .text,
            help: "Proxies (addresses or CIDR blocks, comma-separated) whose X-Forwarded-For names the client in the access log. Unset: none"
        ),
        .init(
            "requests-per-minute",
            .integer(RateLimit.settableRange),
            default: "0",
            help: "Generation requests per minute for keys without a limit of their own; 0: none."
        ),
        .init(
            "images-per-minute",
            .integer(RateLimit.settableRange),
            default: "0",
            help: "Images per minute for keys without a limit of their own; 0: none."
        ),
        .init("workers", .integer(1...100_000), help: "Generations run at once. Unset: 4 (local only), 64 (a model on a supplier)"),
        .init(
            "max-queued",
            .integer(0...10_000_000),
            default: "1000",
            help:
                "Most generations waiting to run in the queue this server shares (a cluster's replicas share one); past it, 503 overloaded. 0: no bound."
        ),
        .init(
            "max-queued-per-account",
            .integer(0...10_000_000),
            default: "0",
            help: "Most generations one account may have waiting to run; past it, 503 overloaded. 0: no bound."
        ),
        .init(
            "database-pool",
            .integer(6...10_000),
            default: "20",
            help: "Most PostgreSQL connections this replica opens (3 are held by listeners and chores)."
        ),
        .init("output-cache-mb", .integer(0...(1 << 20)), default: "64", help: "Memory for recently read outputs, in MiB; 0 turns it off."),
        .init(
            "output-delivery",
            .choice(OutputDeliveryMode.allCases.map(\.rawValue)),
            default: "proxy",
            help: "Who sends output bytes: proxy (ImageGate), redirect (302 to the S3 store), accel (nginx X-Accel-Redirect)."
        ),
        .init(
            "redirect-ttl",
            .duration(1...3_600),
            default: "5m",
            help: "Life of a redirect delivery's presigned link (the output's own link decides how long it lives)."
        ),
        .init(
            "accel-prefix",
            .text,
            default: "/_imagegate_blobs/",
            help: "nginx internal location of accel delivery, mapped onto <data dir>/blobs/."
        ),
        .init("catalog", .text, help: "Model catalog file to use instead of the built-in one."),
        .init(
            "log-level",
            .choice(["trace", "debug", "info", "notice", "warning", "error", "critical"]),
            default: "info",
            help: "Least severe log level written."
        ),
        .init("log-format", .choice(["text", "json"]), default: "text", help: "text, or json (one JSON object per line)."),
    ]

    /// Outbound mail (sign-up verification, password resets), read by `serve` and `imagegate mail-test`.
    package static let mail: [ConfigSetting] = [
        .init(
            "smtp-url",
            .text,
            secret: true,
            help: "SMTP server: smtp://[user:password@]host[:port] (STARTTLS when offered) or smtps://… (TLS, port 465). Unset: no mail"
        ),
        .init("mail-from", .text, help: "Sender of ImageGate's mails, e.g. 'ImageGate <noreply@example.com>'; needed with --smtp-url."),
        .init("smtp-ca-file", .text, help: "PEM file of extra trust roots for the SMTP server's certificate (a private CA)."),
    ]

    /// Everything `imagegate serve` reads.
    package static let serve = data + server + mail
}
