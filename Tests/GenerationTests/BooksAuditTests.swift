import Billing
import SQLKit
import Storage
import Testing

@testable import Accounts
@testable import Generation

/// Each inconsistency the audit must find, made by corrupting real books (a generation of two images, charged
/// and delivered), and named down to the row.
@Suite struct BooksAuditTests {
    typealias Harness = SettlementTests.Harness

    /// A corruption and what the audit must then say.
    struct Corruption: Sendable, CustomTestStringConvertible {
        let name: String
        /// SQL statements; `$GEN` is the generation's id, `$CHARGE` the seq of its charge row.
        let statements: [String]
        let expected: String
        var testDescription: String { self.name }
    }

    static let corruptions: [Corruption] = [
        Corruption(
            name: "charged for an image that was not delivered",
            statements: ["DELETE FROM outputs WHERE generation_id = '$GEN' AND image_index = 1"],
            expected: "generation $GEN: charged 0.028 for 1 delivered image(s) at 0.014"
        ),
        Corruption(
            name: "hold is not price × num_images",
            statements: ["UPDATE generations SET num_images = 3 WHERE id = '$GEN'"],
            expected: "generation $GEN: hold 0.028 is not 3 × 0.014"
        ),
        Corruption(
            name: "ledger row of a missing generation",
            statements: ["UPDATE ledger SET generation_id = 'gen_missing' WHERE seq = $CHARGE"],
            expected: "ledger row $CHARGE: generation gen_missing does not exist"
        ),
        Corruption(
            name: "ledger row of another account's generation",
            statements: [
                "INSERT INTO accounts (id, name, balance_micros, held_micros, created_at) VALUES ('acct_other', 'other', 0, 0, 0)",
                "UPDATE ledger SET account_id = 'acct_other' WHERE seq = $CHARGE",
            ],
            expected: "ledger row $CHARGE: generation $GEN belongs to account"
        ),
        Corruption(
            name: "unknown ledger kind",
            statements: ["UPDATE ledger SET kind = 'bonus' WHERE seq = $CHARGE"],
            expected: "ledger row $CHARGE: unknown kind 'bonus'"
        ),
    ]

    @Test(arguments: corruptions)
    func theAuditNamesTheRow(_ corruption: Corruption) async throws {
        try await Harness.with(provider: ScriptedProvider([.deliver(2)])) { harness in
            let record = try await harness.run(numImages: 2)
            #expect(record.status == .completed)
            #expect(try await BooksAudit.run(on: harness.database).isClean, "clean before the corruption")

            let charge = try #require(try await harness.ledger(record.id).first { $0.kind == .charge }).seq
            try await harness.database.transaction { sql in
                for statement in corruption.statements {
                    let text = statement.replacingOccurrences(of: "$GEN", with: record.id).replacingOccurrences(of: "$CHARGE", with: "\(charge)")
                    try await sql.raw(SQLQueryString(text)).run()
                }
            }
            let report = try await BooksAudit.run(on: harness.database)
            let expected = corruption.expected.replacingOccurrences(of: "$GEN", with: record.id).replacingOccurrences(
                of: "$CHARGE",
                with: "\(charge)"
            )
            #expect(report.problems.contains { $0.contains(expected) }, "\(report.problems)")
        }
    }

    @Test func whatTheUpstreamBilledForARefundIsTheOperatorsLossNotABooksError() async throws {
        // The submit may have reached the upstream, then the run died: refunded, and the upstream's bill recorded.
        try await Harness.with(provider: ScriptedProvider([.crashWhileSubmitting], costPerImage: 35_000)) { harness in
            let record = try await harness.submit(numImages: 2)
            _ = await harness.service.process(record.id, logger: harness.logger)
            _ = await harness.service.process(record.id, logger: harness.logger)
            let report = try await BooksAudit.run(on: harness.database)
            #expect(report.isClean, "\(report.problems)")
            #expect(report.upstreamLosses.map(\.generationId) == [record.id])
            #expect(report.upstreamLossTotal.micros == 70_000)
        }
    }
}
