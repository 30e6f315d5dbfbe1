import Billing
import SQLKit
import Storage

extension UsageReport {
    /// Money in and out over all time: cash received by card (less what refunds and disputes took back), the
    /// operator's own credits, what customers spent (charges), and what the suppliers bill.
    package struct Cash: Sendable, Encodable, Equatable {
        package let cardTopUps: MicroUSD
        package let takenBack: MicroUSD
        package let operatorCredits: MicroUSD
        package let spent: MicroUSD
        package let upstreamCost: MicroUSD

        enum CodingKeys: String, CodingKey {
            case cardTopUps = "card_topups_usd"
            case takenBack = "taken_back_usd"
            case operatorCredits = "operator_credits_usd"
            case spent = "spent_usd"
            case upstreamCost = "upstream_cost_usd"
        }
    }

    package static func cash(on database: any Database) async throws -> Cash {
        try await database.snapshot { sql in
            let ledger = try await sql.raw(
                """
                SELECT
                    CAST(COALESCE(SUM(CASE WHEN kind = 'topup' THEN amount_micros ELSE 0 END), 0) AS BIGINT) AS topups,
                    CAST(COALESCE(SUM(CASE WHEN kind = 'debit' THEN amount_micros ELSE 0 END), 0) AS BIGINT) AS debits,
                    CAST(COALESCE(SUM(CASE WHEN kind = 'credit' THEN amount_micros ELSE 0 END), 0) AS BIGINT) AS credits,
                    CAST(COALESCE(SUM(CASE WHEN kind = 'charge' THEN amount_micros ELSE 0 END), 0) AS BIGINT) AS charges
                FROM ledger
                """
            ).first()
            let upstream = try await sql.raw(
                "SELECT CAST(COALESCE(SUM(upstream_cost_micros), 0) AS BIGINT) AS cost FROM generations"
            ).first()
            func money(_ row: (any SQLRow)?, _ column: String) throws -> MicroUSD {
                MicroUSD(micros: try row?.decode(column: column, as: Int64.self) ?? 0)
            }
            return Cash(
                cardTopUps: try money(ledger, "topups"),
                takenBack: try money(ledger, "debits"),
                operatorCredits: try money(ledger, "credits"),
                spent: try money(ledger, "charges"),
                upstreamCost: try money(upstream, "cost")
            )
        }
    }
}
