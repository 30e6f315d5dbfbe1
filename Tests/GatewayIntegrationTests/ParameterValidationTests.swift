import Foundation
import HTTPTypes
import HummingbirdTesting
import ImageGateTestSupport
import Testing

/// Every parameter's valid and invalid values. Invalid ones must be a 4xx naming the parameter, with no money moved.
@Suite struct ParameterValidationTests {
    /// A rejected request: status, code and the parameter blamed.
    struct Rejection: CustomTestStringConvertible, Sendable {
        let name: String
        let body: String
        let status: HTTPResponse.Status
        let code: String
        let param: String?
        var testDescription: String { self.name }
    }

    static let rejections: [Rejection] = {
        func reject(_ name: String, set: [String: Any] = [:], remove: [String] = [], code: String = "invalid_parameter", param: String?) -> Rejection
        {
            Rejection(name: name, body: try! body(set: set, remove: remove), status: .badRequest, code: code, param: param)
        }
        return [
            reject("typo num_image", set: ["num_image": 2], param: "num_image"),
            reject("unknown field", set: ["quality": "hd"], param: "quality"),
            reject("num_images as string", set: ["num_images": "2"], param: "num_images"),
            reject("num_images 0", set: ["num_images": 0], param: "num_images"),
            reject("num_images 7", set: ["num_images": 7], param: "num_images"),
            reject("num_images 1.5", set: ["num_images": 1.5], param: "num_images"),
            reject("num_images bool", set: ["num_images": true], param: "num_images"),
            reject("missing prompt", remove: ["prompt"], param: "prompt"),
            reject("empty prompt", set: ["prompt": ""], param: "prompt"),
            reject("blank prompt", set: ["prompt": "   "], param: "prompt"),
            reject("prompt 4001 chars", set: ["prompt": String(repeating: "a", count: 4001)], param: "prompt"),
            reject("prompt as number", set: ["prompt": 42], param: "prompt"),
            // PostgreSQL's text cannot hold U+0000: refused as input on every engine, never a 500 on one of them.
            reject("prompt with a NUL", set: ["prompt": "a\u{0}b"], param: "prompt"),
            reject("aspect_ratio 5:4", set: ["aspect_ratio": "5:4"], param: "aspect_ratio"),
            reject("aspect_ratio lowercase AUTO", set: ["aspect_ratio": "AUTO"], param: "aspect_ratio"),
            reject("size 4K", set: ["size": "4K"], param: "size"),
            reject("size 2k lowercase", set: ["size": "2k"], param: "size"),
            reject("seed negative", set: ["seed": -1], param: "seed"),
            reject("seed too large", set: ["seed": 2_147_483_648], param: "seed"),
            reject("seed as string", set: ["seed": "7"], param: "seed"),
            reject("output_format webp", set: ["output_format": "webp"], param: "output_format"),
            reject("mode video", set: ["mode": "video"], param: "mode"),
            reject("mode as number", set: ["mode": 1], param: "mode"),
            reject("missing model", remove: ["model"], param: "model"),
            reject("image_urls in generate mode", set: ["image_urls": ["https://example.com/a.png"]], param: "image_urls"),
            reject("edit without image_urls", set: ["mode": "edit"], param: "image_urls"),
            reject("edit with empty image_urls", set: ["mode": "edit", "image_urls": [] as [String]], param: "image_urls"),
            reject("edit with image_urls string", set: ["mode": "edit", "image_urls": "https://example.com/a.png"], param: "image_urls"),
            reject("edit with ftp url", set: ["mode": "edit", "image_urls": ["ftp://example.com/a.png"]], param: "image_urls[0]"),
            reject("edit with text data uri", set: ["mode": "edit", "image_urls": ["data:text/plain;base64,aGk="]], param: "image_urls[0]"),
            reject("edit with number entry", set: ["mode": "edit", "image_urls": [5]], param: "image_urls[0]"),
            reject(
                "edit with garbage image",
                set: ["mode": "edit", "image_urls": ["data:image/png;base64,aGVsbG8gd29ybGQ="]],
                param: "image_urls[0]"
            ),
            Rejection(name: "not JSON", body: "model=seedream-5-lite", status: .badRequest, code: "invalid_json", param: nil),
            Rejection(name: "JSON array", body: "[1,2]", status: .badRequest, code: "invalid_json", param: nil),
            Rejection(name: "truncated JSON", body: "{\"model\": \"seedream-5-lite\"", status: .badRequest, code: "invalid_json", param: nil),
            Rejection(
                name: "unknown model",
                body: try! body(set: ["model": "seedream-9"]),
                status: .notFound,
                code: "model_not_found",
                param: "model"
            ),
        ]
    }()

    @Test(arguments: rejections)
    func invalidRequestsAreRejectedBeforeAnyCharge(_ rejection: Rejection) async throws {
        try await Self.expectRejectedBeforeAnyCharge(rejection)
    }

    /// Sends the request and checks the refusal: status, code, parameter, a message, and no money moved.
    static func expectRejectedBeforeAnyCharge(_ rejection: Rejection) async throws {
        let instance = try await TestInstance.make()
        defer { instance.cleanUp() }
        try await instance.run { client in
            let response = try await client.generate(rejection.body, key: instance.apiKey)
            #expect(response.status == rejection.status, "\(response.text)")
            let json = try response.json()
            #expect(json["code"] as? String == rejection.code)
            #expect((json["param"] as? String) == rejection.param)
            #expect((json["message"] as? String)?.isEmpty == false)
        }
        let balance = try await instance.balance()
        #expect(balance.available == 10_000_000 && balance.held == 0)
        let rows = try await instance.withDatabase { db in try await db.read { sql in try await sql.raw("SELECT seq FROM ledger").all().count } }
        #expect(rows == 1, "only the opening credit is on the ledger")
    }

    @Test func theTypoErrorSuggestsTheRealName() async throws {
        let instance = try await TestInstance.make()
        defer { instance.cleanUp() }
        try await instance.run { client in
            let response = try await client.generate(try body(set: ["num_image": 2]), key: instance.apiKey)
            #expect((try response.json()["message"] as? String)?.contains("num_images") == true)
        }
    }

    /// Valid values of each parameter, checked on what comes back: pixel size, count, format, seed.
    struct Acceptance: CustomTestStringConvertible, Sendable {
        let set: [String: String]
        let numImages: Int
        let width: Int
        let height: Int
        let contentType: String
        var testDescription: String { self.set.sorted { $0.key < $1.key }.map { "\($0)=\($1)" }.joined(separator: " ") }
    }

    static let acceptances: [Acceptance] = [
        Acceptance(set: [:], numImages: 1, width: 2848, height: 1600, contentType: "image/png"),
        Acceptance(set: ["aspect_ratio": "auto"], numImages: 1, width: 2048, height: 2048, contentType: "image/png"),
        Acceptance(set: ["aspect_ratio": "1:1"], numImages: 1, width: 2048, height: 2048, contentType: "image/png"),
        Acceptance(set: ["aspect_ratio": "4:3"], numImages: 1, width: 2304, height: 1728, contentType: "image/png"),
        Acceptance(set: ["aspect_ratio": "3:4"], numImages: 1, width: 1728, height: 2304, contentType: "image/png"),
        Acceptance(set: ["aspect_ratio": "9:16"], numImages: 1, width: 1600, height: 2848, contentType: "image/png"),
        Acceptance(set: ["aspect_ratio": "3:2"], numImages: 1, width: 2496, height: 1664, contentType: "image/png"),
        Acceptance(set: ["aspect_ratio": "2:3"], numImages: 1, width: 1664, height: 2496, contentType: "image/png"),
        Acceptance(set: ["aspect_ratio": "21:9"], numImages: 1, width: 3136, height: 1344, contentType: "image/png"),
        Acceptance(set: ["size": "3K"], numImages: 1, width: 4096, height: 2304, contentType: "image/png"),
        Acceptance(set: ["size": "3K", "aspect_ratio": "21:9"], numImages: 1, width: 4704, height: 2016, contentType: "image/png"),
        Acceptance(set: ["output_format": "jpeg"], numImages: 1, width: 2848, height: 1600, contentType: "image/jpeg"),
        Acceptance(set: ["num_images": "3"], numImages: 3, width: 2848, height: 1600, contentType: "image/png"),
    ]

    @Test(arguments: acceptances)
    func validValuesProduceWhatTheyAskFor(_ acceptance: Acceptance) async throws {
        let instance = try await TestInstance.make()
        defer { instance.cleanUp() }
        var fields: [String: Any] = acceptance.set
        if let n = acceptance.set["num_images"] { fields["num_images"] = Int(n) }
        let requestBody = try body(set: fields)
        try await instance.run { client in
            let response = try await client.generate(requestBody, key: instance.apiKey)
            #expect(response.status == .ok, "\(response.text)")
            let json = try response.json()
            let images = try #require(json["images"] as? [[String: Any]])
            #expect(images.count == acceptance.numImages)
            for image in images {
                #expect(image["width"] as? Int == acceptance.width)
                #expect(image["height"] as? Int == acceptance.height)
                #expect(image["content_type"] as? String == acceptance.contentType)
                let download = try await client.get(try pathAndQuery(try #require(image["url"] as? String)))
                #expect(download.headers[.contentType] == acceptance.contentType)
            }
            #expect((json["seed"] as? Int).map { (0...2_147_483_647).contains($0) } == true)
        }
        let balance = try await instance.balance()
        #expect(balance.available == 10_000_000 - 14_000 * Int64(acceptance.numImages))
    }

    @Test func promptOf4000CharactersAndNullOptionalsAreAccepted() async throws {
        let instance = try await TestInstance.make()
        defer { instance.cleanUp() }
        try await instance.run { client in
            let long = try await client.generate(try body(set: ["prompt": String(repeating: "é", count: 4000)]), key: instance.apiKey)
            #expect(long.status == .ok, "\(long.text)")
            let nulls = try await client.generate(try body(set: ["seed": NSNull(), "size": NSNull()]), key: instance.apiKey)
            #expect(nulls.status == .ok, "\(nulls.text)")
            #expect(try nulls.json()["size"] as? String == "2K")
        }
    }
}
