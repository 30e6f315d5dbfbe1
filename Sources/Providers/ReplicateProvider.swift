import AsyncHTTPClient
import Catalog
import Foundation
import Logging
import NIOHTTP1

/// Runs generations on Replicate: `POST {base}/v1/models/{owner}/{name}/predictions` once, save the prediction's id
/// as the generation's upstream handle, then poll `GET {base}/v1/predictions/{id}` until it `succeeded`, `failed` or
/// was `canceled`. Outputs are URLs that die after an hour, returned for the engine to mirror at once, like fal's.
///
/// Exactly once upstream, as with fal:
/// - A create is sent again only when it provably never left this machine (`FalSendSafety`) or Replicate refused to
///   start it (429). A 5xx or a broken connection after the request was written may follow a prediction that runs
///   and bills: the generation fails with `outcomeUnknown` and the possible bill is recorded, never a second create.
/// - A create and the saving of its id run to their end even when this run is cancelled (shutdown, lost lease), so
///   no prediction is left that nobody follows. A generation with a saved id is always followed, never created again:
///   after a crash, the next run polls the prediction it saved.
/// - When the owner cancels, the prediction is cancelled upstream (`POST …/cancel`) and followed to its last word.
///
/// Money: providers never touch it. The engine charges the images returned, so a prediction that delivers fewer
/// images than asked is charged for what came. Replicate bills its Seedream models per output image (§7.2), so a
/// prediction that ended without output (failed, canceled) is recorded as billing nothing.
package struct ReplicateProvider: ImageProvider {
    package let name = "replicate"
    let configuration: ReplicateConfiguration
    /// Polls and cancels share pooled connections.
    let httpClient: HTTPClient
    /// Creates go through a client whose every request has a connection of its own (`HTTPClient.Configuration.submits`),
    /// so a failure before the request is written is always a failure to connect.
    let submitClient: HTTPClient
    let logger: Logger

    package init(configuration: ReplicateConfiguration, httpClient: HTTPClient, submitClient: HTTPClient, logger: Logger) {
        self.configuration = configuration
        self.httpClient = httpClient
        self.submitClient = submitClient
        self.logger = logger
    }

    package func upstreamCostPerImage(_ model: ModelSpec, size: String) -> Int64 {
        model.routes.first { $0.provider == .replicate && $0.model == self.configuration.model }?.costPerImage(size: size) ?? 0
    }

    package func generate(_ request: ProviderRequest, context: ProviderContext) async throws(ProviderError) -> ProviderOutcome {
        let deadline = request.deadline(after: self.configuration.deadline)
        let id: String
        if let saved = context.resume {
            guard let handle = try? JSONDecoder().decode(ReplicateWire.Handle.self, from: Data(saved.data.utf8)) else {
                throw ProviderError(
                    code: .outcomeUnknown,
                    message: "The saved upstream request could not be read.",
                    upstreamDetail: saved.data,
                    billedImages: request.numImages
                )
            }
            id = handle.id
        } else {
            // Cancelled before anything left: Replicate never hears of it.
            if await context.cancelRequested() {
                throw ProviderError(code: .cancelled, message: "Cancelled by its owner before it was sent upstream; the whole hold was returned.")
            }
            id = try await FalProvider.uncancelled { [self] () async throws(ProviderError) in
                try await self.createAndRecord(request, context: context)
            }
        }
        let (prediction, cancel) = try await self.follow(id, request: request, until: deadline, cancelRequested: context.cancelRequested)
        return try self.outcome(prediction, request: request, cancel: cancel)
    }

    /// Marks the generation as submitting, creates the prediction, and saves its id.
    func createAndRecord(_ request: ProviderRequest, context: ProviderContext) async throws(ProviderError) -> String {
        do {
            try await context.willSubmit()
        } catch {
            throw ProviderError(code: .upstreamFailed, message: "The generation could not be recorded.", upstreamDetail: "\(error)")
        }
        let prediction = try await self.create(request)
        do {
            let data = String(decoding: try JSONEncoder().encode(ReplicateWire.Handle(id: prediction.id)), as: UTF8.self)
            try await context.record(UpstreamHandle(requestID: prediction.id, data: data))
        } catch {
            // Without a durable id a restart could not find this prediction again: give it up now.
            throw await self.abandon(
                prediction.id,
                request: request,
                reason: "The generation could not be recorded.",
                upstreamType: "unrecorded_handle",
                detail: "\(error)"
            )
        }
        return prediction.id
    }

    /// Creates the prediction, again only after a refusal to start or a failure to connect (`SynchronousCall`).
    func create(_ request: ProviderRequest) async throws(ProviderError) -> ReplicateWire.Prediction {
        let response = try await self.calls(on: self.submitClient).send(
            "\(self.base)/v1/models/\(self.configuration.model)/predictions",
            body: Self.body(for: request, configuration: self.configuration),
            images: request.numImages
        ) { response in Self.verdict(response, images: request.numImages) }
        guard let prediction = try? JSONDecoder().decode(ReplicateWire.Prediction.self, from: Data(response.body)), prediction.hasPlainID else {
            throw ProviderError(
                code: .outcomeUnknown,
                message: "The upstream answered the create with an unreadable body; it was not sent again.",
                upstreamType: "unreadable_answer",
                upstreamDetail: response.text,
                billedImages: request.numImages
            )
        }
        return prediction
    }

    /// The route's address without a trailing slash.
    var base: String {
        self.configuration.baseURL.hasSuffix("/") ? String(self.configuration.baseURL.dropLast()) : self.configuration.baseURL
    }

    /// HTTP calls with the route's key, on `client`.
    func calls(on client: HTTPClient) -> SynchronousCall {
        var headers = HTTPHeaders()
        headers.add(name: "Authorization", value: "Bearer \(self.configuration.key)")
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Accept", value: "application/json")
        return SynchronousCall(
            provider: "replicate",
            client: client,
            headers: headers,
            timeout: self.configuration.callTimeout,
            maxAttempts: self.configuration.maxAttempts,
            maxBackoff: self.configuration.maxBackoff,
            logger: self.logger
        )
    }
}
