import Billing
import Catalog
import Foundation

/// A model as the pages show it: the catalog entry with prices written for people and the discount computed from
/// the two prices (never typed in), so a price change in the catalog changes every page at once.
struct ModelView: Sendable {
    let id: String
    let vendor: String
    let vendorName: String
    let displayName: String
    let description: String
    let tags: [String]
    let path: String
    let playgroundPath: String
    let price: String
    let retail: String
    let hasDiscount: Bool
    /// Whole percent off retail, rounded down ("60" for $0.014 against $0.035).
    let discount: Int
    let upstream: String
    /// "generate, edit": what the `mode` field takes.
    let modes: String

    init(_ spec: ModelSpec) {
        self.id = spec.id
        self.vendor = spec.vendor
        self.vendorName = spec.vendorName ?? spec.vendor
        self.displayName = spec.displayName
        self.description = spec.description
        self.tags = spec.tags
        self.path = "/models/\(Self.segment(spec.vendor))/\(Self.segment(spec.id))"
        self.playgroundPath = "/playground?model=\(Self.segment(spec.id))"
        self.price = MicroUSD(micros: spec.pricePerImageMicros).formatted
        self.retail = MicroUSD(micros: spec.retailPerImageMicros).formatted
        let saved = spec.retailPerImageMicros - spec.pricePerImageMicros
        self.discount = spec.retailPerImageMicros > 0 && saved > 0 ? Int(saved * 100 / spec.retailPerImageMicros) : 0
        self.hasDiscount = self.discount > 0
        let suppliers = spec.routes.map(Self.supplier)
        self.upstream = suppliers.isEmpty ? "ImageGate's own engine" : suppliers.joined(separator: ", then ")
        self.modes = spec.modes.joined(separator: ", ")
    }

    /// A route as a reader knows the supplier: its name and the model's id there.
    static func supplier(_ route: ModelRoute) -> String {
        switch route.provider {
        case .fal: "fal.ai (\(route.generateEndpoint ?? "-"))"
        case .ark: "BytePlus ModelArk (\(route.model ?? "-"))"
        case .replicate: "Replicate (\(route.model ?? "-"))"
        case .openai: "an OpenAI-compatible server (\(route.model ?? "-"))"
        case .local: "ImageGate's own engine"
        }
    }

    static func segment(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/?&=#"))) ?? text
    }
}

/// One mode of a model on its page: its parameter table and the upstream endpoint behind it.
struct ModeView: Sendable {
    let name: String
    let title: String
    let endpoint: String?
    let parameters: [ParameterRow]

    init(model: ModelSpec, mode: String) {
        self.name = mode
        self.title = mode.prefix(1).uppercased() + mode.dropFirst()
        self.endpoint = model.falRoute.flatMap { mode == "edit" ? $0.editEndpoint : $0.generateEndpoint }
        self.parameters = ParameterTable.rows(for: model, mode: mode)
    }
}
