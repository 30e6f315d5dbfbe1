import Billing
import Catalog
import Hummingbird

/// `GET /v1/models` and `GET /v1/models/{id}`: the catalog, with prices in USD.
struct ModelsController {
    let catalog: ModelCatalog

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("models", use: self.list)
        group.get("models/:id", use: self.get)
    }

    /// A model as the API shows it: the catalog entry with prices in USD, without the upstream's internals.
    struct ModelBody: Encodable {
        let id: String
        let object = "model"
        let vendor: String
        let displayName: String
        let description: String
        let tags: [String]
        let modes: [String]
        let pricePerImageUsd: MicroUSD
        let retailPerImageUsd: MicroUSD
        let parameters: ModelSpec.Parameters
        let pixelSizes: [String: [String: String]]

        init(spec: ModelSpec) {
            self.id = spec.id
            self.vendor = spec.vendor
            self.displayName = spec.displayName
            self.description = spec.description
            self.tags = spec.tags
            self.modes = spec.modes
            self.pricePerImageUsd = MicroUSD(micros: spec.pricePerImageMicros)
            self.retailPerImageUsd = MicroUSD(micros: spec.retailPerImageMicros)
            self.parameters = spec.parameters
            self.pixelSizes = spec.pixelSizes.mapValues { $0.mapValues { "\($0[0])x\($0[1])" } }
        }
    }

    struct ListBody: Encodable {
        let object = "list"
        let data: [ModelBody]
    }

    @Sendable func list(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try JSONResponse.make(ListBody(data: self.catalog.models.map { ModelBody(spec: $0) }))
    }

    @Sendable func get(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let id = context.parameters.get("id") ?? ""
        guard let model = self.catalog.model(id) else {
            throw APIError(status: .notFound, code: "model_not_found", message: "The model '\(id)' does not exist.", param: "id")
        }
        return try JSONResponse.make(ModelBody(spec: model))
    }
}
