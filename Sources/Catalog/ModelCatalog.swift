import Foundation

/// The models ImageGate sells, loaded from one catalog file (`catalog.json`, compiled into the binary;
/// an operator may point `--catalog` at an edited copy to change prices without rebuilding).
package struct ModelCatalog: Sendable {
    package let models: [ModelSpec]

    package init(models: [ModelSpec]) {
        self.models = models
    }

    /// Looks a model up by its public id.
    package func model(_ id: String) -> ModelSpec? {
        self.models.first { $0.id == id }
    }

    /// The catalog shipped inside the binary.
    package static func bundled() throws -> ModelCatalog {
        try self.decode(Data(PackageResources.catalog_json))
    }

    /// Reads a catalog file from disk.
    package static func load(path: String) throws -> ModelCatalog {
        try self.decode(Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// Decodes a catalog and checks it (`validate`): a file that decodes but cannot be served is refused too.
    package static func decode(_ data: Data) throws -> ModelCatalog {
        struct File: Decodable { let models: [ModelSpec] }
        let catalog = ModelCatalog(models: try JSONDecoder().decode(File.self, from: data).models)
        try catalog.validate()
        return catalog
    }
}
