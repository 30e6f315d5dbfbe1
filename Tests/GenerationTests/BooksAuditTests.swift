import Billing
import Blobs
import SQLKit
import Storage
import Testing

@testable import Accounts
@testable import Generation
@testable import JobEngine

// One corrupted database at a time: on PostgreSQL each case creates a database, and twenty CREATE DATABASE at once
// (each a checkpoint) stall every other suite running beside them.
/// Each inconsistency the audit must find, made by corrupting real books (a generation of two images, charged and
/// delivered, asked for with an Idempotency-Key and a webhook from an upstream that bills 0.035 per image, beside a
/// top-up made with a key), and named down to the row and its class.
@Suite(.serialized) struct BooksAuditTests {
    typealias Harness = SettlementTests.Harness

    /// What the upstream of these books bills per image.
    static let upstreamPrice: Int64 = 35_000

    /// A corruption and what the audit must then say.
    struct Corruption: Sendable, CustomTestStringConvertible {
        let name: String
        /// SQL statements; `$GEN` is the generation's id, `$CHARGE` the seq of its charge row, `$CREDIT` the seq of
        /// the keyed top-up's credit row.
        let statements: [String]
        let expected: String
        var testDescription: String { self.name }
    }

    static let corruptions: [Corruption] = [
        Corruption(
            name: "charged for an image that was not delivered",
            statements: ["DELETE FROM outputs WHERE generation_id = '$GEN' AND image_index = 1"],
            expected: "generation $GEN: charged 0.028 for 1 delivered image(s) at 0.014 [settlement]"
        ),
        Corruption(
            name: "hold is not price × num_images",
            statements: ["UPDATE generations SET num_images = 3 WHERE id = '$GEN'"],
            expected: "generation $GEN: hold 0.028 is not 3 × 0.014 [hold]"
        ),
        Corruption(
            name: "ledger row of a missing generation",
            statements: ["UPDATE ledger SET generation_id = 'gen_missing' WHERE seq = $CHARGE"],
            expected: "ledger row $CHARGE: generation gen_missing does not exist [ledger_row]"
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
            expected: "ledger row $CHARGE: unknown kind 'bonus' [ledger_row]"
        ),
        Corruption(
            name: "completed without outputs",
            statements: ["DELETE FROM outputs WHERE generation_id = '$GEN'"],
            expected: "generation $GEN: completed without outputs [status_outputs]"
        ),
        Corruption(
            name: "failed with outputs",
            statements: ["UPDATE generations SET status = 'failed' WHERE id = '$GEN'"],
            expected: "generation $GEN: failed with 2 output(s) [status_outputs]"
        ),
        Corruption(
            name: "cancelled with outputs",
            statements: ["UPDATE generations SET status = 'cancelled' WHERE id = '$GEN'"],
            expected: "generation $GEN: cancelled with 2 output(s) [status_outputs]"
        ),
        Corruption(
            name: "a refund where a release belongs",
            statements: ["UPDATE ledger SET kind = 'refund' WHERE seq = $CHARGE"],
            expected: "generation $GEN: a refund of 0.028 where a release belongs (completed) [return_kind]"
        ),
        Corruption(
            name: "a release where a refund belongs",
            statements: [
                "DELETE FROM outputs WHERE generation_id = '$GEN'",
                "UPDATE generations SET status = 'failed', charged_micros = 0, refunded_micros = 28000 WHERE id = '$GEN'",
                "UPDATE ledger SET kind = 'release' WHERE seq = $CHARGE",
            ],
            expected: "generation $GEN: a release of 0.028 where a refund belongs (failed) [return_kind]"
        ),
        Corruption(
            name: "a debit linked to a generation",
            statements: [
                """
                INSERT INTO ledger (account_id, generation_id, kind, amount_micros, balance_after, held_after, note, created_at)
                SELECT account_id, generation_id, 'debit', 1000, balance_after - 1000, held_after, '', created_at FROM ledger WHERE seq = $CHARGE
                """,
                "UPDATE accounts SET balance_micros = balance_micros - 1000",
            ],
            expected: "a debit of 0.001 is linked to generation $GEN [generation_ledger_kind]"
        ),
        Corruption(
            name: "upstream cost for more images than were asked for",
            statements: ["UPDATE generations SET upstream_cost_micros = 105000 WHERE id = '$GEN'"],
            expected: "generation $GEN: upstream cost 0.105 is not what the upstream bills: 0 to 2 image(s) at 0.035 [upstream_cost]"
        ),
        Corruption(
            name: "upstream cost that is not per image",
            statements: ["UPDATE generations SET upstream_cost_micros = 50000 WHERE id = '$GEN'"],
            expected: "generation $GEN: upstream cost 0.05 is not what the upstream bills: 0 to 2 image(s) at 0.035 [upstream_cost]"
        ),
        Corruption(
            name: "upstream cost below what the delivered images cost",
            statements: ["UPDATE generations SET upstream_cost_micros = 35000 WHERE id = '$GEN'"],
            expected: "generation $GEN: upstream cost 0.035 for 2 delivered image(s) at 0.035 [upstream_cost]"
        ),
        Corruption(
            name: "webhook event of another end",
            statements: ["UPDATE webhook_deliveries SET event = 'generation.failed' WHERE generation_id = '$GEN'"],
            expected: "generation $GEN: webhook event 'generation.failed' but it ended completed ('generation.completed') [webhook_event]"
        ),
        Corruption(
            name: "two generations for one Idempotency-Key",
            statements: [
                """
                INSERT INTO generations (id, account_id, model, mode, status, provider, request_json, num_images, seed, price_micros,
                    hold_micros, created_at)
                SELECT 'gen_twin', account_id, model, mode, 'failed', provider, request_json, num_images, seed, price_micros, 0, created_at + 1
                FROM generations WHERE id = '$GEN'
                """
            ],
            expected: "generation gen_twin: a second generation for Idempotency-Key 'key-1' of account"
        ),
        Corruption(
            name: "an Idempotency-Key naming a generation asked for with another key",
            statements: ["UPDATE idempotency_keys SET idempotency_key = 'key-2'"],
            expected: "names generation $GEN, asked for with key 'key-1' [idempotency_key]"
        ),
        Corruption(
            name: "a top-up key whose credit is gone",
            statements: ["DELETE FROM ledger WHERE seq = $CREDIT"],
            expected: "credit request 'topup-1' of account"
        ),
        Corruption(
            name: "a top-up key naming a credit it did not ask for",
            statements: ["UPDATE ledger SET note = 'invoice 8' WHERE seq = $CREDIT"],
            expected: "names ledger row $CREDIT, whose amount or note is not what it asked for [credit_request]"
        ),
        Corruption(
            name: "a credit without its top-up key (credited twice)",
            statements: [
                """
                INSERT INTO ledger (account_id, kind, amount_micros, balance_after, held_after, note, created_at)
                SELECT account_id, kind, amount_micros, balance_after + amount_micros, held_after, note, created_at FROM ledger WHERE seq = $CREDIT
                """
            ],
            expected: "a second credit for top-up key 'topup-1' of account"
        ),
    ]

    /// Asks for a generation of `numImages` with an Idempotency-Key and a webhook (to a public address literal:
    /// nothing is sent in these tests), and runs it.
    static func run(_ harness: Harness, numImages: Int = 2) async throws -> GenerationRecord {
        let (parameters, model) = try harness.service.validator.validate(
            body: Array(#"{"model":"seedream-5-lite","prompt":"x","num_images":\#(numImages),"webhook_url":"https://203.0.114.7/hook"}"#.utf8)
        )
        let record = try await harness.service.submit(
            parameters,
            model: model,
            accountID: harness.accountID,
            apiKeyID: nil,
            idempotencyKey: "key-1",
            logger: harness.logger
        ).record
        await harness.engine.process(record.id, logger: harness.logger)
        return try #require(try await harness.service.store.get(id: record.id))
    }

    @Test(arguments: corruptions)
    func theAuditNamesTheRowAndTheClass(_ corruption: Corruption) async throws {
        try await Harness.with(provider: ScriptedProvider([.deliver(2)], costPerImage: Self.upstreamPrice)) { harness in
            try await Credits(database: harness.database).add(
                MicroUSD(micros: 5_000_000),
                accountID: harness.accountID,
                note: "invoice 7",
                idempotencyKey: "topup-1"
            )
            let record = try await Self.run(harness)
            #expect(record.status == .completed && record.upstreamCost.micros == 70_000)
            let before = try await BooksAudit.run(on: harness.database)
            #expect(before.isClean, "clean before the corruption: \(before.problems)")

            let charge = try #require(try await harness.ledger(record.id).first { $0.kind == .charge }).seq
            let credit = try #require(
                try await harness.database.read { sql in
                    try await sql.raw("SELECT ledger_seq FROM credit_requests WHERE idempotency_key = 'topup-1'").first()?
                        .decode(column: "ledger_seq", as: Int64?.self)
                }
            )
            let filled: @Sendable (String) -> String = { text in
                text.replacingOccurrences(of: "$GEN", with: record.id).replacingOccurrences(of: "$CHARGE", with: "\(charge)")
                    .replacingOccurrences(of: "$CREDIT", with: "\(credit)")
            }
            let statements = corruption.statements.map(filled)
            try await harness.database.transaction { sql in
                for statement in statements { try await sql.raw(SQLQueryString(statement)).run() }
            }
            let report = try await BooksAudit.run(on: harness.database)
            #expect(report.problems.contains { $0.contains(filled(corruption.expected)) }, "\(report.problems)")
            #expect(!report.isClean)
        }
    }

    @Test func aChargedOutputWhoseBlobIsMissingIsFoundWhenTheStoreIsRead() async throws {
        try await Harness.with(provider: ScriptedProvider([.deliver(2)])) { harness in
            let record = try await Self.run(harness)
            let blobs = FileBlobStore(root: "\(harness.directory)/blobs")
            #expect(try await BooksAudit.run(on: harness.database, blobs: blobs).isClean)
            let first = try #require(record.images.first)
            let output = try #require(try await harness.service.outputs.get(id: first.outputID))
            try await blobs.delete(key: output.blobKey)

            #expect(try await BooksAudit.run(on: harness.database).isClean, "without the store, nothing to see")
            let report = try await BooksAudit.run(on: harness.database, blobs: blobs)
            #expect(report.blobsChecked)
            #expect(
                report.findings == [
                    BooksAudit.Finding(
                        kind: .missingBlob,
                        row: "output \(output.id)",
                        message: "the blob \(output.blobKey) of generation \(record.id) is not in the store"
                    )
                ]
            )
        }
    }

    @Test func whatTheUpstreamBilledForARefundIsTheOperatorsLossNotABooksError() async throws {
        // The submit may have reached the upstream, then the run died: refunded, and the upstream's bill recorded.
        try await Harness.with(provider: ScriptedProvider([.crashWhileSubmitting], costPerImage: 35_000)) { harness in
            let record = try await harness.submit(numImages: 2)
            _ = await harness.engine.process(record.id, logger: harness.logger)
            _ = await harness.engine.process(record.id, logger: harness.logger)
            let report = try await BooksAudit.run(on: harness.database)
            #expect(report.isClean, "\(report.problems)")
            #expect(report.upstreamLosses.map(\.generationId) == [record.id])
            #expect(report.upstreamLossTotal.micros == 70_000)
        }
    }

    @Test func onlyTheUndeliveredShareOfAPartialDeliveryIsALoss() async throws {
        try await Harness.with(provider: ScriptedProvider([.deliver(1)], costPerImage: 35_000)) { harness in
            // The upstream made one image of two and billed one: the one delivered is paid by its charge, nothing lost.
            let record = try await harness.run(numImages: 2)
            #expect(record.status == .completed && record.upstreamCost.micros == 35_000 && record.refunded.micros == 14_000)
            let report = try await BooksAudit.run(on: harness.database)
            #expect(report.isClean, "\(report.problems)")
            #expect(report.upstreamLosses.isEmpty && report.upstreamLossTotal == .zero)

            // It made (and billed) both, one could not be stored: that one is the loss, not the whole bill.
            try await harness.database.transaction { sql in
                try await sql.raw("UPDATE generations SET upstream_cost_micros = 70000 WHERE id = \(bind: record.id)").run()
            }
            let billedTwice = try await BooksAudit.run(on: harness.database)
            #expect(billedTwice.isClean, "\(billedTwice.problems)")
            #expect(billedTwice.upstreamLosses.map(\.lossUsd.micros) == [35_000])
            #expect(billedTwice.upstreamLosses.map(\.upstreamCostUsd.micros) == [70_000])
            #expect(billedTwice.upstreamLossTotal.micros == 35_000)
        }
    }
}
