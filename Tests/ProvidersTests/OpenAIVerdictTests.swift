import Foundation
import Testing

@testable import Providers

/// An OpenAI-compatible server's answers, each sorted into "read it", "try again" or "stop" with its class of error
/// (the same table as Ark's: moderation final, a refused key or model the route's end, busy not started, a 5xx
/// after the request was written an unknown outcome).
@Suite struct OpenAIVerdictTests {
    static func response(_ status: Int, code: String?, retryAfter: Int? = nil) -> SupplierResponse {
        let error = code.map { "{\"error\": {\"message\": \"said\", \"type\": \"invalid_request_error\", \"param\": null, \"code\": \"\($0)\"}}" }
        return SupplierResponse(status: status, body: Array((error ?? "<html>bad gateway</html>").utf8), retryAfter: retryAfter)
    }

    @Test(arguments: [
        (400, "content_policy_violation", "contentPolicyViolation", 0),
        (400, "moderation_blocked", "contentPolicyViolation", 0),
        (400, "invalid_parameter", "upstreamFailed", 0),
        (401, "unauthorized", "routeUnusable", 0),
        (402, "insufficient_balance", "routeUnusable", 0),
        (404, "model_not_found", "routeUnusable", 0),
        (500, "internal_error", "outcomeUnknown", 3),
        (504, nil, "outcomeUnknown", 3),
    ])
    func aFinalAnswerIsTyped(status: Int, code: String?, expected: String, billed: Int) {
        guard case .final(let error) = OpenAIProvider.verdict(Self.response(status, code: code), images: 3) else {
            Issue.record("HTTP \(status) \(code ?? "-") should be final")
            return
        }
        #expect(error.code.description == expected && error.billedImages == billed)
    }

    @Test func busyIsNotStartedWithItsRetryAfter() {
        for (status, code) in [(429, "rate_limited"), (503, "overloaded"), (503, "storage_full")] {
            guard
                case .refusedToStart(let error, let retryAfter) = OpenAIProvider.verdict(Self.response(status, code: code, retryAfter: 7), images: 2)
            else {
                Issue.record("HTTP \(status) \(code) should be a refusal to start")
                continue
            }
            #expect(error.code == .notStarted && error.billedImages == 0 && retryAfter == 7)
        }
        guard case .final(let other) = OpenAIProvider.verdict(Self.response(503, code: "something_else"), images: 2) else {
            Issue.record("a 503 without a busy code may have run")
            return
        }
        #expect(other.code == .outcomeUnknown && other.billedImages == 2)
    }
}
