import Billing
import Foundation
import SQLKit
import Storage

/// What the operator reads: per-account usage by day and model, and revenue against upstream cost by model.
package enum UsageReport {
    /// One account's use of one model on one UTC day.
    package struct DailyUsage: Sendable, Codable, Equatable {
        package let accountID: String
        package let accountName: String
        package let day: String
        package let model: String
        package let generations: Int
        package let images: Int
        package let spend: MicroUSD
        package let refunds: MicroUSD

        enum CodingKeys: String, CodingKey {
            case day, model, generations, images
            case accountID = "account_id"
            case accountName = "account"
            case spend = "spend_usd"
            case refunds = "refunds_usd"
        }
    }

    /// Revenue against what the upstream charged, per model (and per route, and per day, when asked).
    package struct Margin: Sendable, Encodable, Equatable {
        /// The day (UTC, `2026-12-04`) when the report is by day; absent from an all-time report.
        package let day: String?
        package let model: String
        /// The route that delivered the images (the generation's last attempt) when the report is by route.
        package let route: String?
        package let images: Int
        package let revenue: MicroUSD
        package let upstreamCost: MicroUSD
        package let margin: MicroUSD
        /// The margin as a share of revenue, in percent (one decimal); null without revenue.
        package let marginPercent: Double?

        enum CodingKeys: String, CodingKey {
            case day, model, route, images
            case revenue = "revenue_usd"
            case upstreamCost = "upstream_cost_usd"
            case margin
            case marginPercent = "margin_pct"
        }

        package init(day: String? = nil, model: String, route: String? = nil, images: Int, revenue: MicroUSD, upstreamCost: MicroUSD) {
            self.day = day
            self.model = model
            self.route = route
            self.images = images
            self.revenue = revenue
            self.upstreamCost = upstreamCost
            self.margin = revenue - upstreamCost
            self.marginPercent = revenue.micros > 0 ? (Double((revenue - upstreamCost).micros) * 1000 / Double(revenue.micros)).rounded() / 10 : nil
        }
    }

    /// How the margin report is cut.
    package struct MarginGrouping: Sendable, Equatable {
        package var byDay = false
        package var byRoute = false

        package init(byDay: Bool = false, byRoute: Bool = false) {
            self.byDay = byDay
            self.byRoute = byRoute
        }
    }

    /// Usage by day and model, optionally for one account, newest day first.
    package static func daily(accountID: String? = nil, on database: any Database) async throws -> [DailyUsage] {
        try await database.read { sql in
            let filter: SQLQueryString = accountID.map { "WHERE g.account_id = \(bind: $0)" } ?? ""
            let rows = try await sql.raw(
                """
                SELECT g.account_id, a.name, g.model, g.created_at / 86400000 AS day, COUNT(*) AS generations,
                    CAST(SUM(g.charged_micros / g.price_micros) AS BIGINT) AS images, CAST(SUM(g.charged_micros) AS BIGINT) AS spend, CAST(SUM(g.refunded_micros) AS BIGINT) AS refunds
                FROM generations g JOIN accounts a ON a.id = g.account_id
                \(filter)
                GROUP BY g.account_id, a.name, g.model, g.created_at / 86400000
                ORDER BY day DESC, a.name, g.model
                """
            ).all()
            return try rows.map { row in
                DailyUsage(
                    accountID: try row.decode(column: "account_id", as: String.self),
                    accountName: try row.decode(column: "name", as: String.self),
                    day: Self.day(try row.decode(column: "day", as: Int64.self)),
                    model: try row.decode(column: "model", as: String.self),
                    generations: try row.decode(column: "generations", as: Int.self),
                    images: try row.decode(column: "images", as: Int.self),
                    spend: MicroUSD(micros: try row.decode(column: "spend", as: Int64.self)),
                    refunds: MicroUSD(micros: try row.decode(column: "refunds", as: Int64.self))
                )
            }
        }
    }

    /// Revenue, upstream cost and margin per model, over all time or by day (newest day first), and by the route that
    /// delivered (a generation's upstream cost is all on its last attempt: the ones before it failed over, billing
    /// nothing). Generations from before routes were recorded count under their provider's name.
    package static func margins(_ grouping: MarginGrouping = MarginGrouping(), on database: any Database) async throws -> [Margin] {
        try await database.read { sql in
            let day: SQLQueryString = grouping.byDay ? "created_at / 86400000" : "0"
            let route: SQLQueryString = grouping.byRoute ? "COALESCE(route, provider)" : "''"
            let rows = try await sql.raw(
                """
                SELECT \(day) AS day, model, \(route) AS route, CAST(SUM(charged_micros / price_micros) AS BIGINT) AS images,
                    CAST(SUM(charged_micros) AS BIGINT) AS revenue, CAST(SUM(upstream_cost_micros) AS BIGINT) AS cost
                FROM generations GROUP BY 1, 2, 3 ORDER BY 1 DESC, 2, 3
                """
            ).all()
            return try rows.map { row in
                Margin(
                    day: grouping.byDay ? Self.day(try row.decode(column: "day", as: Int64.self)) : nil,
                    model: try row.decode(column: "model", as: String.self),
                    route: grouping.byRoute ? try row.decode(column: "route", as: String.self) : nil,
                    images: try row.decode(column: "images", as: Int.self),
                    revenue: MicroUSD(micros: try row.decode(column: "revenue", as: Int64.self)),
                    upstreamCost: MicroUSD(micros: try row.decode(column: "cost", as: Int64.self))
                )
            }
        }
    }

    static func day(_ number: Int64) -> String {
        Date(timeIntervalSince1970: Double(number) * 86400).formatted(.iso8601.year().month().day())
    }
}
