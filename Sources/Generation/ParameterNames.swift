/// How a front door's callers name the native parameters, so that a refusal names the parameter as the caller
/// wrote it (`n` rather than `num_images` on the OpenAI routes). Messages are built with these names from the start,
/// never rewritten afterwards.
package struct ParameterNames: Sendable {
    private let renamed: [String: String]

    package init(_ renamed: [String: String]) {
        self.renamed = renamed
    }

    /// The caller's name for a native parameter.
    package subscript(_ native: String) -> String { self.renamed[native] ?? native }

    /// `POST /v1/generate`: the native names.
    package static let native = ParameterNames([:])
}
