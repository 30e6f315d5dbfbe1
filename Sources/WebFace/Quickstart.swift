import Catalog

/// The model page's quickstart, written for this server's public URL: a person pastes a snippet as it is and it works
/// (the browser suite runs the curl one verbatim). The key comes from `IMAGEGATE_API_KEY`, never from the page.
struct Quickstart: Sendable {
    let curl: String
    let python: String
    let cli: String
    /// An edit request with `image_urls`, for a model that edits.
    let edit: EditExample?

    static let samplePrompt = "Minimalist product photo of a ceramic coffee mug, soft light"

    init(model: ModelSpec, publicURL: String) {
        let aspect = model.parameters.aspectRatio.default
        let size = model.parameters.size.default
        self.curl = Self.curl(
            publicURL: publicURL,
            fields: [
                #""model": "\#(model.id)""#, #""mode": "generate""#, #""prompt": "\#(Self.samplePrompt)""#,
                #""aspect_ratio": "\#(aspect)""#, #""size": "\#(size)""#, #""num_images": 1"#,
            ]
        )
        let pixels = model.pixelSize(tier: size, aspectRatio: aspect).map { "\($0.width)x\($0.height)" } ?? "auto"
        self.python = """
            # pip install openai
            import os
            from openai import OpenAI

            client = OpenAI(base_url="\(publicURL)/v1", api_key=os.environ["IMAGEGATE_API_KEY"])
            result = client.images.generate(
                model="\(model.id)",
                prompt="\(Self.samplePrompt)",
                size="\(pixels)",
            )
            print(result.data[0].url)
            """
        self.cli = """
            export IMAGEGATE_URL=\(publicURL)
            imagegate generate --model \(model.id) --aspect-ratio \(aspect) --size \(size) \\
              "\(Self.samplePrompt)"
            """
        self.edit = model.modes.contains("edit") ? EditExample(model: model, publicURL: publicURL) : nil
    }

    /// A `POST /v1/generate` with the key from the environment and a JSON body of these fields, one a line.
    static func curl(publicURL: String, fields: [String]) -> String {
        let body = fields.map { "        \($0)" }.joined(separator: ",\n")
        return """
            curl -X POST "\(publicURL)/v1/generate" \\
              -H "Authorization: Bearer $IMAGEGATE_API_KEY" \\
              -H "Content-Type: application/json" \\
              -d '{
            \(body)
                  }'
            """
    }
}

/// The quickstart's edit request: `mode: edit` with reference images given as URLs, as the API takes them.
struct EditExample: Sendable {
    let curl: String
    let maxReferences: Int

    init(model: ModelSpec, publicURL: String) {
        self.maxReferences = model.parameters.imageUrls.maxItems
        self.curl = Quickstart.curl(
            publicURL: publicURL,
            fields: [
                #""model": "\#(model.id)""#, #""mode": "edit""#, #""prompt": "The same mug in deep blue glaze""#,
                #""image_urls": ["https://example.com/your-mug.png"]"#,
            ]
        )
    }
}

/// The response example of a model page: the fields `POST /v1/generate` answers with, for this model.
enum ResponseExample {
    static func json(model: ModelSpec, publicURL: String) -> String {
        let price = ModelView(model).price.dropFirst()
        return """
            {
              "generation_id": "gen_01a2180c1538f592b04d1988f412",
              "status": "completed",
              "model": "\(model.id)",
              "mode": "generate",
              "estimated_cost_usd": \(price),
              "output_url": "\(publicURL)/v1/outputs/out_5878a4dba97888c4583098b340faab5c.png?expires=1796305781&sig=…",
              "duration_ms": 2143,
              "cost_usd": \(price),
              "refunded_usd": 0,
              "expires_at": "2026-12-11T10:42:03Z"
            }
            """
    }
}

/// Retention in words: "7 days", "12 hours", "90 seconds".
enum RetentionText {
    static func words(seconds: Int64) -> String {
        let units: [(Int64, String)] = [(86_400, "day"), (3_600, "hour"), (60, "minute")]
        for (size, name) in units where seconds >= size && seconds % size == 0 {
            let count = seconds / size
            return "\(count) \(name)\(count == 1 ? "" : "s")"
        }
        return "\(seconds) second\(seconds == 1 ? "" : "s")"
    }
}
