import Catalog
import Foundation

/// Catalogs for the page tests, made from the bundled one so that they stay valid as it changes.
enum TestCatalogs {
    /// The bundled catalog's models, as JSON objects to edit.
    static func bundledModels() throws -> [[String: Any]] {
        let bundled = try ModelCatalog.bundled()
        let data = try JSONEncoder().encode(["models": bundled.models])
        let object = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        return object["models"] as! [[String: Any]]
    }

    static func catalog(_ models: [[String: Any]]) throws -> ModelCatalog {
        let data = try JSONSerialization.data(withJSONObject: ["models": models])
        return ModelCatalog(models: try JSONDecoder().decode([String: [ModelSpec]].self, from: data)["models"]!)
    }

    /// Three models by two vendors with different tags and prices; the first is the bundled Seedream.
    static func threeModels() throws -> ModelCatalog {
        let seedream = try bundledModels()[0]
        var flux = seedream
        flux["id"] = "flux-mini"
        flux["vendor"] = "blackforest"
        flux["vendor_name"] = "Black Forest"
        flux["display_name"] = "Flux Mini"
        flux["tags"] = ["text-to-image", "fast"]
        flux["modes"] = ["generate"]
        flux["price_per_image_micros"] = 3_000
        flux["retail_per_image_micros"] = 4_000
        var plain = seedream
        plain["id"] = "plain-draw"
        plain["vendor"] = "blackforest"
        plain["display_name"] = "Plain Draw"
        plain["tags"] = ["fast"]
        plain["modes"] = ["generate"]
        plain["price_per_image_micros"] = 10_000
        plain["retail_per_image_micros"] = 10_000
        return try catalog([seedream, flux, plain])
    }

    /// The bundled catalog with one rule changed: at most `maxImages` images per request.
    static func withMaxImages(_ maxImages: Int) throws -> ModelCatalog {
        var seedream = try bundledModels()[0]
        var parameters = seedream["parameters"] as! [String: Any]
        var count = parameters["num_images"] as! [String: Any]
        count["max"] = maxImages
        parameters["num_images"] = count
        seedream["parameters"] = parameters
        return try catalog([seedream])
    }
}
