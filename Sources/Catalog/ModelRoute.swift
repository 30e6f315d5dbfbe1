import Foundation

/// One way to run a model: a supplier, the model's id there, what the supplier bills per image, and what it can do.
/// A model lists its routes in order of preference (`models[].routes[]`); the public contract of the model never
/// changes with the route, a route can only refuse what it cannot do.
package struct ModelRoute: Sendable, Codable, Equatable {
    enum CodingKeys: String, CodingKey {
        case id, provider, model, weight, abilities, promotion
        case generateEndpoint = "generate_endpoint"
        case editEndpoint = "edit_endpoint"
        case cost = "cost_per_image_micros"
        case baseURL = "base_url"
        case baseURLEnv = "base_url_env"
        case apiKeyEnv = "api_key_env"
        case timeoutSeconds = "timeout_s"
        case responseFormat = "response_format"
        case queueTimeoutSeconds = "queue_timeout_s"
        case deadlineSeconds = "deadline_s"
        case maxConcurrency = "max_concurrency"
        case resendAfterUnknown = "resend_after_unknown"
    }

    /// The wire protocol a route speaks.
    package enum Provider: String, Sendable, Codable, CaseIterable {
        case fal, ark, replicate, openai, local

        /// The environment variable that holds the key when the route does not name one.
        package var defaultKeyVariable: String? {
            switch self {
            case .fal: "FAL_KEY"
            case .ark: "ARK_API_KEY"
            case .replicate: "REPLICATE_API_TOKEN"
            case .openai: "OPENAI_API_KEY"
            case .local: nil
            }
        }

        /// The supplier's own address, used when the route gives no `base_url`.
        package var defaultBaseURL: String? {
            switch self {
            case .fal: "https://queue.fal.run"
            case .ark: "https://ark.ap-southeast.bytepluses.com/api/v3"
            case .replicate: "https://api.replicate.com"
            case .openai: "https://api.openai.com/v1"
            case .local: nil
            }
        }
    }

    /// The route's name within its model, for the books, the metrics and the margin report; defaults to the
    /// provider's name (two routes of one provider in one model must each name themselves).
    package let id: String?
    package let provider: Provider
    /// The upstream's model id (Ark, Replicate, OpenAI-compatible); fal routes name endpoints instead.
    package let model: String?
    package let generateEndpoint: String?
    package let editEndpoint: String?
    package let cost: RouteCost
    package let baseURL: String?
    /// An environment variable that, when set, replaces `base_url` (an emulator's address in tests, a proxy).
    package let baseURLEnv: String?
    /// The environment variable holding this route's key. Keys never sit in the catalog.
    package let apiKeyEnv: String?
    /// With the model's `weighted` strategy: this route's share of the generations (default 1).
    package let weight: Int?
    /// Longest wait for this supplier's answer to one call.
    package let timeoutSeconds: Int?
    package let abilities: RouteAbilities?
    /// OpenAI-compatible routes: `url` or `b64_json` asked of the server (nil: not sent, the server's default).
    package let responseFormat: String?
    /// The operator sells this route's images below their cost on purpose (a promotion): not flagged at start.
    package let promotion: Bool?
    /// Queue routes (fal, Replicate): longest wait for the supplier to start the work. Past it the request is
    /// cancelled there, and once the supplier confirms it never ran, the generation moves to the next route.
    package let queueTimeoutSeconds: Int?
    /// Queue routes (fal, Replicate): longest wait for a submitted request to end (default 15 minutes); past it the
    /// request is cancelled upstream and the generation fails, with what the supplier may still bill recorded.
    package let deadlineSeconds: Int?
    /// Most generations this process runs on this route at once; more wait for a slot or take another route.
    package let maxConcurrency: Int?
    /// The operator accepts a possible second bill: after an unknown outcome on this route (a synchronous call
    /// whose answer was lost), the generation is sent to the next route, and this attempt's possible bill recorded.
    package let resendAfterUnknown: Bool?

    package init(
        id: String? = nil,
        provider: Provider,
        model: String? = nil,
        generateEndpoint: String? = nil,
        editEndpoint: String? = nil,
        cost: RouteCost,
        baseURL: String? = nil,
        baseURLEnv: String? = nil,
        apiKeyEnv: String? = nil,
        weight: Int? = nil,
        timeoutSeconds: Int? = nil,
        abilities: RouteAbilities? = nil,
        responseFormat: String? = nil,
        promotion: Bool? = nil,
        queueTimeoutSeconds: Int? = nil,
        deadlineSeconds: Int? = nil,
        maxConcurrency: Int? = nil,
        resendAfterUnknown: Bool? = nil
    ) {
        self.id = id
        self.provider = provider
        self.model = model
        self.generateEndpoint = generateEndpoint
        self.editEndpoint = editEndpoint
        self.cost = cost
        self.baseURL = baseURL
        self.baseURLEnv = baseURLEnv
        self.apiKeyEnv = apiKeyEnv
        self.weight = weight
        self.timeoutSeconds = timeoutSeconds
        self.abilities = abilities
        self.responseFormat = responseFormat
        self.promotion = promotion
        self.queueTimeoutSeconds = queueTimeoutSeconds
        self.deadlineSeconds = deadlineSeconds
        self.maxConcurrency = maxConcurrency
        self.resendAfterUnknown = resendAfterUnknown
    }

    /// The route's name within its model (`id`, else the provider's name).
    package var name: String { self.id ?? self.provider.rawValue }

    /// The name of the environment variable to read this route's key from (nil: the route needs none).
    package var keyVariable: String? { self.apiKeyEnv ?? self.provider.defaultKeyVariable }

    /// Where to reach the supplier, given the process's environment.
    package func resolvedBaseURL(environment: [String: String]) -> String? {
        if let name = self.baseURLEnv, let value = environment[name], !value.isEmpty { return value }
        return self.baseURL ?? self.provider.defaultBaseURL
    }

    /// What one image of `size` costs on this route, in micro-USD.
    package func costPerImage(size: String) -> Int64 { self.cost.perImage(size: size) }

    /// The most this route bills for one image, whatever its size.
    package var dearestCost: Int64 { self.cost.all.max() ?? 0 }

    /// Whether this route can bill more for an image than the model sells it for, and the catalog does not mark it
    /// a deliberate promotion: the operator is warned at start and on the admin page.
    package func sellsBelowCost(price: Int64) -> Bool { self.promotion != true && self.dearestCost > price }

    /// Why this route cannot run a request the model's contract accepts, or nil when it can.
    package func refusal(size: String, references: Int, images: Int) -> RouteRefusal? {
        guard let abilities = self.abilities else { return nil }
        if let sizes = abilities.sizes, !sizes.contains(size) {
            return RouteRefusal(
                parameter: "size",
                reason: "must be one of: \(sizes.joined(separator: ", ")) on this model's current supplier (got \"\(size)\")."
            )
        }
        if let most = abilities.maxReferences, references > most {
            return RouteRefusal(
                parameter: "image_urls",
                reason: "must hold at most \(most) images on this model's current supplier (got \(references))."
            )
        }
        if let most = abilities.maxTotalImages, references + images > most {
            return RouteRefusal(
                parameter: "num_images",
                reason: "plus the reference images must be at most \(most) on this model's current supplier (got \(images) + \(references))."
            )
        }
        return nil
    }
}

/// A parameter a route cannot serve, and why: `reason` follows the parameter's name in a 400's message.
package struct RouteRefusal: Sendable, Equatable {
    package let parameter: String
    package let reason: String

    package init(parameter: String, reason: String) {
        self.parameter = parameter
        self.reason = reason
    }
}

/// What a route's supplier bills per image: one price, or a price per size tier where the supplier prices sizes
/// differently (`{"2K": 28000, "3K": 42000}`).
package enum RouteCost: Sendable, Codable, Equatable {
    case flat(Int64)
    case perSize([String: Int64])

    package init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let flat = try? container.decode(Int64.self) {
            self = .flat(flat)
        } else if let map = try? container.decode([String: Int64].self) {
            self = .perSize(map)
        } else {
            throw DecodingError.dataCorruptedError(
                in: container,
                debugDescription: "must be an integer number of micro-USD or an object of size tier to micro-USD"
            )
        }
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .flat(let micros): try container.encode(micros)
        case .perSize(let map): try container.encode(map)
        }
    }

    /// The price of one image of `size`; a size the map lacks costs its dearest entry (never less than known).
    package func perImage(size: String) -> Int64 {
        switch self {
        case .flat(let micros): micros
        case .perSize(let map): map[size] ?? map.values.max() ?? 0
        }
    }

    /// Every price the route may bill.
    package var all: [Int64] {
        switch self {
        case .flat(let micros): [micros]
        case .perSize(let map): Array(map.values)
        }
    }
}

/// What a route's supplier can do, where it can do less than the model's contract allows.
package struct RouteAbilities: Sendable, Codable, Equatable {
    enum CodingKeys: String, CodingKey {
        case sizes
        case maxReferences = "max_references"
        case honoursSeed = "honours_seed"
        case minPixels = "min_pixels"
        case maxTotalImages = "max_total_images"
        case outputFormats = "output_formats"
    }

    /// The size tiers the supplier accepts (nil: every size of the contract).
    package let sizes: [String]?
    /// The most reference images the supplier takes (nil: the contract's limit).
    package let maxReferences: Int?
    /// Whether the supplier makes the same image again from the same seed.
    package let honoursSeed: Bool?
    /// The fewest pixels the supplier accepts as an explicit `WxH` (Ark's Seedream 4.5 and 5 Lite: 3,686,400).
    package let minPixels: Int?
    /// The most reference images plus images asked for in one call (Ark: 15).
    package let maxTotalImages: Int?
    /// The output formats the supplier can be asked for (Ark's Seedream 5 only); nil: the format is not sent, and
    /// the image comes in the supplier's own.
    package let outputFormats: [String]?

    package init(
        sizes: [String]? = nil,
        maxReferences: Int? = nil,
        honoursSeed: Bool? = nil,
        minPixels: Int? = nil,
        maxTotalImages: Int? = nil,
        outputFormats: [String]? = nil
    ) {
        self.sizes = sizes
        self.maxReferences = maxReferences
        self.honoursSeed = honoursSeed
        self.minPixels = minPixels
        self.maxTotalImages = maxTotalImages
        self.outputFormats = outputFormats
    }
}
