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

    struct ModelBody: Encodable {
        let spec: ModelSpec

        enum CodingKeys: String, CodingKey {
            case id, object, vendor, description, tags, modes, parameters
            case displayName = "display_name"
            case price = "price_per_image_usd"
            case retail = "retail_per_image_usd"
            case pixelSizes = "pixel_sizes"
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(self.spec.id, forKey: .id)
            try c.encode("model", forKey: .object)
            try c.encode(self.spec.vendor, forKey: .vendor)
            try c.encode(self.spec.displayName, forKey: .displayName)
            try c.encode(self.spec.description, forKey: .description)
            try c.encode(self.spec.tags, forKey: .tags)
            try c.encode(self.spec.modes, forKey: .modes)
            try c.encode(MicroUSD(micros: self.spec.pricePerImageMicros), forKey: .price)
            try c.encode(MicroUSD(micros: self.spec.retailPerImageMicros), forKey: .retail)
            try c.encode(self.spec.parameters, forKey: .parameters)
            try c.encode(self.spec.pixelSizes.mapValues { $0.mapValues { "\($0[0])x\($0[1])" } }, forKey: .pixelSizes)
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
