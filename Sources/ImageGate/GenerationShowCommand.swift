import ArgumentParser
import Billing
import Foundation
import Generation
import ImageGateApp

extension GenerationsCommand {
    /// `imagegate generations show ID --data-dir DIR`: the operator's whole record of one generation, read from the
    /// books rather than the API (`GenerationBooks`, as `GET /admin/v1/generations/{id}` answers it): its money, and
    /// every attempt on a route with the upstream's id, times, outcome, reason and what the upstream bills for it.
    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One generation as the books hold it, with every attempt (operator).")
        @Argument(help: "Generation id.") var id: String
        @OptionGroup var data: DataOptions

        func run() async throws {
            let books = try await withEnvironment(self.data, readOnly: true) { env in
                guard let books = try await GenerationStore(database: env.database).books(of: self.id) else {
                    throw ValidationError("no generation '\(self.id)'")
                }
                return books
            }
            print(
                "\(books.generationId) · \(books.model) · \(books.status) · route \(books.route ?? books.provider) · "
                    + "\(books.imagesDelivered)/\(books.numImages) image(s)"
            )
            print(
                "held \(books.heldUsd.formatted) · charged \(books.chargedUsd.formatted) · returned \(books.refundedUsd.formatted) · "
                    + "upstream cost \(books.upstreamCostUsd.formatted)"
            )
            if let code = books.errorCode { print("error \(code): \(books.errorMessage ?? "")") }
            print("")
            printTable(
                ["#", "ROUTE", "PROVIDER", "UPSTREAM ID", "STARTED", "ENDED", "OUTCOME", "UPSTREAM COST", "REASON"],
                books.attempts.map { attempt in
                    [
                        "\(attempt.attempt)", attempt.route, attempt.provider, attempt.upstreamRequestId ?? "-", attempt.startedAt,
                        attempt.endedAt ?? "running", attempt.outcome ?? "-", attempt.upstreamCostUsd.formatted, attempt.reason ?? "",
                    ]
                }
            )
        }
    }
}
