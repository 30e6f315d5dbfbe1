import Catalog
import Essentials
import Testing

@testable import GatewayAPI
@testable import Generation

/// OpenAI's Images parameters in native terms, without a server.
@Suite struct OpenAIImagesTranslationTests {
    static let catalog = try! ModelCatalog.bundled()

    @Test(arguments: [
        ("auto", "auto", "2K"),
        ("2848x1600", "16:9", "2K"),
        ("4096x2304", "16:9", "3K"),
        ("1024x1024", "1:1", "2K"),
        ("1536x1024", "3:2", "2K"),
        ("1024x1536", "2:3", "2K"),
    ])
    func sizesMapOntoSeedreamsTable(size: String, ratio: String, tier: String) throws {
        let (native, _) = try OpenAIImagesTranslation.translate(
            ["model": .string("seedream-5-lite"), "prompt": .string("p"), "size": .string(size)],
            references: [],
            mode: "generate",
            catalog: Self.catalog
        )
        #expect(native["aspect_ratio"] == .string(ratio) && native["size"] == .string(tier))
    }

    @Test func openAIFieldsBecomeNativeOnes() throws {
        let (native, format) = try OpenAIImagesTranslation.translate(
            [
                "model": .string("seedream-5-lite"), "prompt": .string("p"), "n": .integer(3), "response_format": .string("b64_json"),
                "output_format": .string("webp"), "quality": .string("hd"), "user": .null,
            ],
            references: ["data:image/png;base64,AAAA"],
            mode: "edit",
            catalog: Self.catalog
        )
        #expect(format == "b64_json")
        #expect(native["num_images"] == .integer(3) && native["output_format"] == .string("png") && native["mode"] == .string("edit"))
        #expect(native["image_urls"] == .array([.string("data:image/png;base64,AAAA")]))
        #expect(native["quality"] == nil, "ignored OpenAI fields are not passed on")
    }

    @Test func refusalsNameTheParameterAsOpenAICallersWriteIt() throws {
        let validator = GenerateRequestValidator(catalog: Self.catalog)
        let (native, _) = try OpenAIImagesTranslation.translate(
            ["model": .string("seedream-5-lite"), "prompt": .string("p"), "n": .integer(9)],
            references: [],
            mode: "generate",
            catalog: Self.catalog
        )
        #expect(throws: RequestError.invalid("n", "n must be from 1 to 6 (got 9).")) {
            try validator.validate(fields: native, names: OpenAIImagesTranslation.names)
        }
    }

    @Test(arguments: ["stream", "size", "output_compression", "bogus"])
    func malformedOpenAIFieldsAreRefusedByName(field: String) {
        let bad: JSONValue = field == "stream" ? .bool(true) : field == "output_compression" ? .integer(101) : .integer(1)
        #expect(throws: APIError.self) {
            try OpenAIImagesTranslation.translate(
                ["model": .string("seedream-5-lite"), "prompt": .string("p"), field: bad],
                references: [],
                mode: "generate",
                catalog: Self.catalog
            )
        }
    }
}
