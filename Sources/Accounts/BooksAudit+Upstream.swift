import Billing
import Generation

extension BooksAudit {
    /// What the upstream was recorded to bill, against what it bills for what it was asked: per image, at the price
    /// quoted when the generation was asked for (`StoredRequest.upstreamPricePerImage`), for a whole number of images
    /// from none to the images asked for, and at least for each image it delivered. Written at the end only. Then the
    /// share of it for images whose money went back is the operator's loss.
    static func checkUpstream(_ generation: Generation, returned: Int64, report: inout Report, findings: inout Findings) {
        let row = "generation \(generation.id)"
        // Attempts resent after an unknown outcome add their possible bill, at their own route's price: the rules
        // below judge what the last route bills.
        let cost = generation.upstreamCost - generation.attempts.resentCost
        guard let status = generation.finalStatus else {
            if cost != 0 { findings.add(.upstreamCost, row, "upstream cost \(MicroUSD(micros: cost)) recorded before its end") }
            return
        }
        Self.checkAttempts(generation, findings: &findings)
        // Rows written before the price was kept are checked for their loss only.
        let price = generation.request.upstreamPricePerImage
        if let price {
            let shown = MicroUSD(micros: cost)
            if price == 0 {
                if cost != 0 { findings.add(.upstreamCost, row, "upstream cost \(shown) but the upstream bills nothing for this model") }
            } else if cost < 0 || cost % price != 0 || cost / price > generation.numImages {
                findings.add(
                    .upstreamCost,
                    row,
                    "upstream cost \(shown) is not what the upstream bills: 0 to \(generation.numImages) image(s) at \(MicroUSD(micros: price))"
                )
            } else if status == .completed && cost / price < generation.outputs {
                findings.add(
                    .upstreamCost,
                    row,
                    "upstream cost \(shown) for \(generation.outputs) delivered image(s) at \(MicroUSD(micros: price))"
                )
            }
        }
        guard returned > 0 || generation.attempts.resentCost > 0, generation.upstreamCost > 0 else { return }
        // A delivered image's cost is paid by its charge: only the rest of the bill is lost.
        let delivered = price.map { min(cost, $0 * generation.outputs) } ?? cost * generation.outputs / max(generation.numImages, 1)
        let loss = generation.upstreamCost - delivered
        guard loss > 0 else { return }
        report.upstreamLossTotal = report.upstreamLossTotal + MicroUSD(micros: loss)
        if report.upstreamLosses.count < Findings.limit {
            report.upstreamLosses.append(
                UpstreamLoss(
                    generationId: generation.id,
                    status: status.rawValue,
                    upstreamCostUsd: MicroUSD(micros: generation.upstreamCost),
                    refundedUsd: MicroUSD(micros: returned),
                    lossUsd: MicroUSD(micros: loss)
                )
            )
        }
    }

    /// An ended generation's attempts: all closed, the ones that failed over billing nothing, and together what the
    /// generation records as its upstream cost.
    static func checkAttempts(_ generation: Generation, findings: inout Findings) {
        let (row, attempts) = ("generation \(generation.id)", generation.attempts)
        guard attempts.count > 0 else { return }
        if attempts.open > 0 { findings.add(.attempts, row, "\(attempts.open) attempt(s) still open after its end") }
        if attempts.failedOverCost != 0 {
            findings.add(
                .attempts,
                row,
                "attempts that failed over bill \(MicroUSD(micros: attempts.failedOverCost)); failover is only for work never started"
            )
        }
        if attempts.cost != generation.upstreamCost {
            findings.add(
                .attempts,
                row,
                "its attempts bill \(MicroUSD(micros: attempts.cost)) but its upstream cost is \(MicroUSD(micros: generation.upstreamCost))"
            )
        }
    }
}
