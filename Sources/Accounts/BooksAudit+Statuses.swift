import Billing
import Generation

extension BooksAudit {
    /// A generation's status against what shows it: its outputs (written by the settlement that ended it) and the
    /// kind of its returned money (`GenerationStatus.returnKind`, by which `Settlement` moved it).
    static func checkStatus(_ generation: Generation, kinds: [LedgerKind: Int64], findings: inout Findings) {
        let row = "generation \(generation.id)"
        guard let status = GenerationStatus(rawValue: generation.status) else {
            findings.add(.statusOutputs, row, "unknown status '\(generation.status)'")
            return
        }
        switch status {
        case .completed where generation.outputs == 0:
            findings.add(.statusOutputs, row, "completed without outputs")
        case .failed where generation.outputs > 0, .cancelled where generation.outputs > 0:
            findings.add(.statusOutputs, row, "\(status.rawValue) with \(generation.outputs) output(s)")
        case .queued where generation.outputs > 0, .processing where generation.outputs > 0:
            findings.add(.statusOutputs, row, "\(status.rawValue) with \(generation.outputs) output(s) before its end")
        default: break
        }
        guard status.isFinal else { return }
        let belongs = status.returnKind
        let wrong: LedgerKind = belongs == .refund ? .release : .refund
        if let amount = kinds[wrong], amount > 0 {
            findings.add(
                .returnKind,
                row,
                "a \(wrong.rawValue) of \(MicroUSD(micros: amount)) where a \(belongs.rawValue) belongs (\(status.rawValue))"
            )
        }
    }

    /// Every ended generation that asked for a webhook has its one event, written with its settlement, of its end's
    /// type; nothing else has one.
    static func checkWebhook(_ generation: Generation, findings: inout Findings) {
        let row = "generation \(generation.id)"
        let status = generation.finalStatus
        let expected = status != nil && generation.request.parameters.webhookURL != nil ? 1 : 0
        if generation.events.count != expected {
            findings.add(.webhookEvent, row, "\(generation.events.count) webhook events, expected \(expected)")
        }
        guard let status, let type = status.webhookEvent else { return }
        for event in generation.events where event != type {
            findings.add(.webhookEvent, row, "webhook event '\(event)' but it ended \(status.rawValue) ('\(type)')")
        }
    }
}
