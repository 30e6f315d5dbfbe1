import Billing
import Generation

extension BooksAudit {
    /// One `Idempotency-Key` names one generation of its account for 24 hours: the key's row names a generation of
    /// its account asked for with that key, and no two generations asked for with one key are less than the key's
    /// window apart (the later one should have been the earlier one, replayed). A key's row names its newest generation.
    static func checkIdempotencyKeys(_ snapshot: Snapshot, findings: inout Findings) {
        /// Keys are per account: two accounts may use the same one.
        struct KeyOfAccount: Hashable {
            let accountID: String
            let key: String
        }
        var claims: [KeyOfAccount: String] = [:]
        for claim in snapshot.keyClaims {
            let row = "Idempotency-Key '\(claim.key)' of account \(claim.accountID)"
            claims[KeyOfAccount(accountID: claim.accountID, key: claim.key)] = claim.generationID
            guard let generation = snapshot.generations[claim.generationID] else {
                findings.add(.idempotencyKey, row, "names generation \(claim.generationID), which does not exist")
                continue
            }
            if generation.accountID != claim.accountID {
                findings.add(.idempotencyKey, row, "names generation \(generation.id) of account \(generation.accountID)")
            } else if let asked = generation.request.idempotencyKey, asked != claim.key {
                findings.add(.idempotencyKey, row, "names generation \(generation.id), asked for with key '\(asked)'")
            }
        }
        // Generations that kept their key (rows written before keys were kept have none).
        var asked: [KeyOfAccount: [Generation]] = [:]
        for id in snapshot.generationIDs {
            guard let generation = snapshot.generations[id], let key = generation.request.idempotencyKey else { continue }
            asked[KeyOfAccount(accountID: generation.accountID, key: key), default: []].append(generation)
        }
        for (key, generations) in asked.sorted(by: { ($0.key.accountID, $0.key.key) < ($1.key.accountID, $1.key.key) }) {
            let ordered = generations.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
            for (earlier, later) in zip(ordered, ordered.dropFirst()) where later.createdAt - earlier.createdAt < IdempotencyStore.windowMillis {
                findings.add(
                    .idempotencyKey,
                    "generation \(later.id)",
                    "a second generation for Idempotency-Key '\(key.key)' of account \(key.accountID) within 24 hours of \(earlier.id)"
                )
            }
            // A key's row is replaced only by a later use of the key: naming an older generation means the newest one
            // was made without claiming it. (No row at all is not a mistake: a key may be forgotten after its window.)
            if let newest = ordered.last, let named = claims[key], named != newest.id {
                findings.add(.idempotencyKey, "generation \(newest.id)", "asked for with Idempotency-Key '\(key.key)', which names \(named)")
            }
        }
    }

    /// A top-up's key and its credit go together: the request names a `credit` row of its account that is what it
    /// asked for (same fingerprint: account, amount, note), and no other credit of that kind follows it within the
    /// key's window (a retry that credited again instead of replaying). Requests written before the link was kept
    /// are matched by their fingerprint alone.
    static func checkCreditRequests(_ snapshot: Snapshot, findings: inout Findings) {
        let rows = Dictionary(snapshot.ledger.map { ($0.seq, $0) }, uniquingKeysWith: { first, _ in first })
        // Credits by what they were for: the fingerprint covers the account too.
        var credits: [String: [Ledger.StoredRow]] = [:]
        for row in snapshot.ledger where row.kind == LedgerKind.credit.rawValue {
            credits[Credits.fingerprint(accountID: row.accountID, amount: row.amount, note: row.note), default: []].append(row)
        }
        var named: [Int64: [CreditRequest]] = [:]
        for request in snapshot.creditRequests {
            let row = "credit request '\(request.key)' of account \(request.accountID)"
            guard let seq = request.ledgerSeq else {
                let made = credits[request.requestHash, default: []].contains { $0.createdAt >= request.createdAt }
                if !made { findings.add(.creditRequest, row, "no credit was recorded for it") }
                continue
            }
            named[seq, default: []].append(request)
            guard let credit = rows[seq] else {
                findings.add(.creditRequest, row, "its credit, ledger row \(seq), does not exist")
                continue
            }
            if credit.kind != LedgerKind.credit.rawValue || credit.accountID != request.accountID {
                findings.add(.creditRequest, row, "names ledger row \(seq), a \(credit.kind) of account \(credit.accountID), not its credit")
            } else if Credits.fingerprint(accountID: credit.accountID, amount: credit.amount, note: credit.note) != request.requestHash {
                findings.add(.creditRequest, row, "names ledger row \(seq), whose amount or note is not what it asked for")
            }
        }
        for (seq, requests) in named.sorted(by: { $0.key < $1.key }) where requests.count > 1 {
            findings.add(.creditRequest, "ledger row \(seq)", "the credit of \(requests.count) top-up keys: \(requests.map(\.key).sorted())")
        }
        for request in snapshot.creditRequests {
            guard let seq = request.ledgerSeq, let own = rows[seq] else { continue }
            for credit in credits[request.requestHash, default: []]
            where credit.seq != seq && named[credit.seq] == nil && credit.createdAt >= own.createdAt
                && credit.createdAt - request.createdAt < Credits.windowMillis
            {
                findings.add(
                    .creditWithoutRequest,
                    "ledger row \(credit.seq)",
                    "a second credit for top-up key '\(request.key)' of account \(request.accountID), whose credit is ledger row \(seq)"
                )
            }
        }
    }
}
