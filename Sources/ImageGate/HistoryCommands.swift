import ArgumentParser
import Foundation
import NIOHTTP1

/// `imagegate generations list|get|cancel|show`: the caller's history, stopping a generation, and (`show`, for the
/// operator) one generation's whole record.
struct GenerationsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generations",
        abstract: "List, get or cancel your generations; show one with its attempts (operator).",
        subcommands: [List.self, Get.self, Cancel.self, Show.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Your latest generations, newest first.")
        @Option(help: "How many (1–100).") var limit = 20
        @OptionGroup var client: ClientOptions

        func run() async throws {
            try await runClient {
                let api = try self.client.client()
                let answer = try await api.send(.GET, "/v1/generations?limit=\(self.limit)")
                try api.expect(answer, [200])
                let rows = (answer.json["data"] as? [[String: Any]] ?? []).map { g -> [String] in
                    [
                        g["generation_id"] as? String ?? "", g["status"] as? String ?? "", g["mode"] as? String ?? "",
                        "\((g["images"] as? [Any])?.count ?? 0)/\(g["num_images"] ?? "")", "$\(g["cost_usd"] ?? 0)", g["created_at"] as? String ?? "",
                    ]
                }
                printTable(["ID", "STATUS", "MODE", "IMAGES", "COST", "CREATED"], rows)
            }
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One generation, as JSON.")
        @Argument(help: "Generation id.") var id: String
        @OptionGroup var client: ClientOptions

        func run() async throws {
            try await runClient {
                let api = try self.client.client()
                let answer = try await api.send(.GET, "/v1/generations/\(self.id)")
                try api.expect(answer, [200])
                let data = try JSONSerialization.data(withJSONObject: answer.json, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
                print(String(decoding: data, as: UTF8.self))
            }
        }
    }
}

extension GenerationsCommand {
    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Cancel a generation: a queued one never runs; a running one is stopped (upstream too) unless it finishes first."
        )
        @Argument(help: "Generation id.") var id: String
        @OptionGroup var client: ClientOptions

        func run() async throws {
            try await runClient {
                let api = try self.client.client()
                let answer = try await api.send(.POST, "/v1/generations/\(self.id)/cancel")
                try api.expect(answer, [200, 202, 409])
                let refunded = answer.json["refunded_usd"].map { "\($0)" } ?? "0"
                switch answer.status {
                case 200: print("cancelled \(self.id) · returned $\(refunded)")
                case 202: print("cancelling \(self.id): it is still stopping; see 'imagegate generations get \(self.id)'")
                default: print("\(self.id) \(answer.json["status"] ?? "ended") before it could be cancelled: \(answer.json["message"] ?? "")")
                }
            }
        }
    }
}

/// `imagegate account`: balance and recent ledger rows.
struct AccountCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "account", abstract: "Show your balance and latest ledger rows.")
    @OptionGroup var client: ClientOptions

    func run() async throws {
        try await runClient {
            let api = try self.client.client()
            let answer = try await api.send(.GET, "/v1/account")
            try api.expect(answer, [200])
            print("account \(answer.json["name"] ?? "") · balance $\(answer.json["balance_usd"] ?? 0) · held $\(answer.json["held_usd"] ?? 0)")
            let rows = (answer.json["ledger"] as? [[String: Any]] ?? []).map { row -> [String] in
                [
                    row["created_at"] as? String ?? "", row["kind"] as? String ?? "", "$\(row["amount_usd"] ?? 0)",
                    "$\(row["balance_after_usd"] ?? 0)",
                    row["generation_id"] as? String ?? row["note"] as? String ?? "",
                ]
            }
            printTable(["TIME", "KIND", "AMOUNT", "BALANCE AFTER", "GENERATION / NOTE"], rows)
        }
    }
}
