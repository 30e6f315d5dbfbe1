import Foundation
import Imaging
import Logging

/// Between ImageGate's requests and errors and Replicate's JSON and HTTP answers (docs: upstreams.md §5, §7.2).
extension ReplicateProvider {
    /// The create's body, `{"input": {...}}`: the prompt, the size tier (`2K`), the aspect ratio ImageGate resolved
    /// (never `match_input_image`: the images must come at the size the generation records), references in `image_input` as data URIs of ImageGate's checked copies (never
    /// a user's URL, which could answer Replicate with something else than what ImageGate validated), sequential
    /// generation for more than one image, and `output_format` where the model takes it. Seedream has no seed input
    /// on Replicate: none is sent, and the result is said not to honour one.
    static func body(for request: ProviderRequest, configuration: ReplicateConfiguration) -> [UInt8] {
        var input: [String: Any] = [
            "prompt": request.prompt,
            "size": request.sizeTier,
            "aspect_ratio": request.resolvedAspectRatio,
        ]
        if request.mode == .edit {
            input["image_input"] = request.references.map { reference in
                "data:\(reference.probe.format.contentType.lowercased());base64,\(Data(reference.bytes).base64EncodedString())"
            }
        }
        if configuration.sequential {
            input["sequential_image_generation"] = request.numImages > 1 ? "auto" : "disabled"
            input["max_images"] = request.numImages
        }
        if configuration.outputFormats.contains(request.outputFormat.rawValue) { input["output_format"] = request.outputFormat.rawValue }
        return Array((try? JSONSerialization.data(withJSONObject: ["input": input], options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data())
    }

    /// Sorts the create's answer into "follow it", "try again" and "stop", with the error for the last two.
    static func verdict(_ response: SupplierResponse, images: Int) -> SupplierVerdict {
        if (200..<300).contains(response.status) { return .answer }
        let problem = try? JSONDecoder().decode(ReplicateWire.Problem.self, from: Data(response.body))
        let said = problem?.detail ?? problem?.title ?? "HTTP \(response.status)"
        let upstreamType = problem?.title ?? "http_\(response.status)"
        switch response.status {
        case 429:
            // Throttled: the prediction was not created.
            return .busy(response, said: said, upstreamType: upstreamType)
        case 401, 402, 403, 404:
            // A refused token, an account out of credit, a model this account cannot run: nothing ran.
            return .routeRefused(response, said: said, upstreamType: upstreamType)
        case 400..<500 where Self.isContentPolicy(said):
            return .flagged(response, upstreamType: upstreamType)
        case 400..<500:
            // 422: the input failed the model's schema.
            return .requestRefused(response, said: said, upstreamType: upstreamType)
        default:
            // A 5xx (or a proxy's 502/504) after the request was written: the prediction may exist, run, and bill.
            return .lostAfterSending(response, upstreamType: upstreamType, images: images)
        }
    }

    /// The images of a prediction that ended, or why there are none. After the owner's cancel, an end without
    /// success is the cancel taking effect; a success (Replicate finished first) is delivered and charged like any.
    func outcome(_ prediction: ReplicateWire.Prediction, request: ProviderRequest, cancel: String?) throws(ProviderError) -> ProviderOutcome {
        let urls = prediction.outputURLs.filter { $0.hasPrefix("https://") || $0.hasPrefix("http://") }
        // Replicate bills these models per output image: what a prediction that did not succeed still output is
        // the only bill it can leave (usually nothing).
        let billed = prediction.outputURLs.count
        let detail = "prediction \(prediction.id): \(prediction.status)" + (prediction.error.map { ": \($0)" } ?? "")
        switch prediction.status {
        case "succeeded" where !urls.isEmpty:
            if urls.count < request.numImages {
                self.logger.notice(
                    "replicate delivered fewer images than asked",
                    metadata: ["asked": "\(request.numImages)", "delivered": "\(urls.count)", "prediction": "\(prediction.id)"]
                )
            }
            let contentType = self.configuration.outputFormats.contains(request.outputFormat.rawValue) ? request.outputFormat.contentType : nil
            return ProviderOutcome(
                images: urls.map { .remote(url: $0, contentType: contentType, width: nil, height: nil) },
                seed: nil,
                seedHonoured: false
            )
        case "succeeded":
            throw ProviderError(
                code: .upstreamFailed,
                message: "The upstream returned no image.",
                upstreamType: "empty_output",
                upstreamDetail: detail
            )
        case _ where cancel != nil:
            throw ProviderError(
                code: .cancelled,
                message: "Cancelled by its owner; the request was cancelled upstream and the whole hold was returned.",
                upstreamType: "cancelled",
                upstreamDetail: "\(detail); cancel: \(cancel ?? "-")",
                billedImages: billed
            )
        case "failed" where Self.isContentPolicy(prediction.error ?? ""):
            throw ProviderError.contentPolicy(upstreamType: "prediction_failed", detail: detail, billed: billed)
        case "failed":
            // The model's final answer, and a failure: not billed when it left no output, so another route may take
            // it (the request passed Replicate's input checks at create).
            throw ProviderError(
                code: billed == 0 ? .supplierFailed : .upstreamFailed,
                message: "The upstream failed: \(prediction.error ?? "no reason given").",
                upstreamType: "prediction_failed",
                upstreamDetail: detail,
                billedImages: billed
            )
        default:
            // Cancelled upstream by someone else (Replicate's dashboard, another client with the key).
            throw ProviderError(
                code: .upstreamFailed,
                message: "The upstream cancelled the request.",
                upstreamType: "prediction_\(prediction.status)",
                upstreamDetail: detail,
                billedImages: billed
            )
        }
    }

    /// Replicate's words for a refusal by the safety checker: its `E005` ("The input or output was flagged as
    /// sensitive"), or the model's own NSFW message.
    static func isContentPolicy(_ text: String) -> Bool {
        let lowered = text.lowercased()
        return ["(e005)", "flagged as sensitive", "nsfw", "content policy", "content_policy"].contains { lowered.contains($0) }
    }
}
