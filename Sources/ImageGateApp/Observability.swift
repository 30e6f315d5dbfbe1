import Foundation
import Logging
import Metrics
import Prometheus

/// Process-wide observability: the Prometheus registry behind swift-metrics, and the log format.
package enum Observability {
    /// The registry `/metrics` reads.
    package static let registry = PrometheusCollectorRegistry()

    /// Installs the Prometheus backend once per process (swift-metrics allows one bootstrap).
    package static func bootstrapMetrics() {
        _ = Self.metricsOnce
    }

    private static let metricsOnce: Void = {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
            .milliseconds(500), .seconds(1), .seconds(2), .seconds(5), .seconds(10), .seconds(30), .seconds(60), .seconds(120),
        ]
        MetricsSystem.bootstrap(factory)
        Gauge(label: "imagegate_build_info", dimensions: [("version", ImageGateVersion.current)]).record(1)
    }()

    /// The metrics as Prometheus text, each family with its help (`MetricsHelp`).
    package static func metricsText() -> [UInt8] {
        var buffer: [UInt8] = []
        Self.registry.emit(into: &buffer)
        return Array(MetricsHelp.annotate(String(decoding: buffer, as: UTF8.self)).utf8)
    }

    /// `text` (swift-log's default) or `json` (one JSON object per line).
    package static func bootstrapLogging(format: String, level: Logger.Level) {
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler =
                format == "json" ? JSONLogHandler(label: label, stream: StandardErrorStream()) : StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}

/// Writes to standard error, unbuffered.
package struct StandardErrorStream: TextOutputStream, Sendable {
    package init() {}
    package mutating func write(_ string: String) {
        FileHandle.standardError.write(Data(string.utf8))
    }
}
