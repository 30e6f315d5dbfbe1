import Catalog
import Foundation

/// One of a model's example prompts on its page, with the playground address that opens filled in with it.
struct ExamplePromptView: Sendable {
    let text: String
    let href: String

    init(model: ModelSpec, prompt: String) {
        self.text = prompt
        // Query values: everything but unreserved characters escaped, so a prompt's `&`, `#` or `+` stays text.
        let value = prompt.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? ""
        self.href = "/playground?model=\(ModelView.segment(model.id))&prompt=\(value)"
    }

    static func all(of model: ModelSpec) -> [ExamplePromptView] {
        (model.examplePrompts ?? []).map { ExamplePromptView(model: model, prompt: $0) }
    }
}
