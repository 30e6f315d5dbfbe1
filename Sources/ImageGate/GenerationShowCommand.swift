import ArgumentParser
import Billing
import Foundation
import Generation
import ImageGateApp

extension GenerationsCommand {
    /// `imagegate generations show ID --data-dir DIR`: the operator's whole record of one generation, read from the
    /// books rather than the API: its money, and every attempt on a route with the upstream's id, times, outcome,
    /// reason and what the upstream bills for it (the user's `GET` shows only provider and outcome).
    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One generation as the books hold it, with every attempt (operator).")
        @Argument(help: "Generation id.") var id: String
        @OptionGroup var data: DataOptions

        func run() async throws {
            let (record, attempts) = try await withEnvironment(self.data, readOnly: true) { env in
                let store = GenerationStore(database: env.database)
                guard let record = try await store.get(id: self.id) else { throw ValidationError("no generation '\(self.id)'") }
                return (record, try await store.attempts(of: self.id))
            }
            print(
                "\(record.id) · \(record.model) · \(record.status.rawValue) · route \(record.route ?? record.provider) · "
                    + "\(record.images.count)/\(record.numImages) image(s)"
            )
            print(
                "held \(record.hold.formatted) · charged \(record.charged.formatted) · returned \(record.refunded.formatted) · "
                    + "upstream cost \(record.upstreamCost.formatted)"
            )
            if let code = record.errorCode { print("error \(code): \(record.errorMessage ?? "")") }
            print("")
            printTable(
                ["#", "ROUTE", "PROVIDER", "UPSTREAM ID", "STARTED", "ENDED", "OUTCOME", "UPSTREAM COST", "REASON"],
                attempts.map { attempt in
                    [
                        "\(attempt.attempt)", attempt.route, attempt.provider, attempt.upstreamRequestID ?? "-", Self.time(attempt.startedAt),
                        attempt.endedAt.map(Self.time) ?? "running", attempt.outcome ?? "-", MicroUSD(micros: attempt.upstreamCost).formatted,
                        attempt.reason ?? "",
                    ]
                }
            )
        }

        static func time(_ millis: Int64) -> String {
            Date(timeIntervalSince1970: Double(millis) / 1000).formatted(.iso8601.time(includingFractionalSeconds: true))
        }
    }
}
