import Foundation
import HTTPTypes
import HummingbirdTesting
import ImageGateTestSupport
import Imaging
import Testing

/// Edit mode (reference images) and the local engine's determinism.
@Suite struct EditAndDeterminismTests {
    /// A small real PNG, made with the same imaging code, as a data URI.
    static func dataURI(width: Int, height: Int, seed: UInt64 = 1, format: ImageFormat = .png) throws -> String {
        let bytes = try PreviewRenderer.render(
            PreviewSpec(prompt: "ref \(seed)", variation: seed, width: width, height: height, format: format, footer: "test")
        )
        return "data:\(format.contentType);base64,\(Data(bytes).base64EncodedString())"
    }

    @Test func editWithTenReferencesComposesThem() async throws {
        let instance = try await TestInstance.make()
        defer { instance.cleanUp() }
        let references = try (0..<10).map { try Self.dataURI(width: 120, height: 90, seed: UInt64($0)) }
        try await instance.run { client in
            let response = try await client.generate(
                try body(set: ["mode": "edit", "image_urls": references, "aspect_ratio": "4:3"]),
                key: instance.apiKey
            )
            #expect(response.status == .ok, "\(response.text)")
            let json = try response.json()
            #expect(json["mode"] as? String == "edit")
            let image = try #require((json["images"] as? [[String: Any]])?.first)
            #expect(image["width"] as? Int == 2304 && image["height"] as? Int == 1728)
        }
    }

    @Test func editWithElevenReferencesIsRefused() async throws {
        let instance = try await TestInstance.make()
        defer { instance.cleanUp() }
        let reference = try Self.dataURI(width: 64, height: 64)
        try await instance.run { client in
            let response = try await client.generate(
                try body(set: ["mode": "edit", "image_urls": Array(repeating: reference, count: 11)]),
                key: instance.apiKey
            )
            #expect(response.status == .badRequest)
            #expect(try response.json()["param"] as? String == "image_urls")
        }
        let available = try await instance.balance().available
        #expect(available == 10_000_000)
    }

    @Test(arguments: [(10, 10, "too small"), (480, 20, "too wide: 24:1"), (16, 400, "too tall: 1:25")])
    func invalidReferencesAreNamedByIndex(width: Int, height: Int, reason: String) async throws {
        let instance = try await TestInstance.make()
        defer { instance.cleanUp() }
        let good = try Self.dataURI(width: 64, height: 64)
        let bad = try Self.dataURI(width: width, height: height)
        try await instance.run { client in
            let response = try await client.generate(try body(set: ["mode": "edit", "image_urls": [good, bad]]), key: instance.apiKey)
            #expect(response.status == .badRequest, "\(reason)")
            #expect(try response.json()["param"] as? String == "image_urls[1]")
        }
        let available = try await instance.balance().available
        #expect(available == 10_000_000)
    }

    @Test func autoRatioInEditFollowsTheFirstReference() async throws {
        let instance = try await TestInstance.make()
        defer { instance.cleanUp() }
        let reference = try Self.dataURI(width: 300, height: 200, format: .jpeg)
        try await instance.run { client in
            let response = try await client.generate(
                try body(set: ["mode": "edit", "image_urls": [reference], "aspect_ratio": "auto"]),
                key: instance.apiKey
            )
            #expect(response.status == .ok, "\(response.text)")
            let json = try response.json()
            #expect(json["resolved_aspect_ratio"] as? String == "3:2")
            let image = try #require((json["images"] as? [[String: Any]])?.first)
            #expect(image["width"] as? Int == 2496 && image["height"] as? Int == 1664)
        }
    }

    @Test func theSameSeedGivesTheSameImageAndAnotherSeedAnother() async throws {
        let instance = try await TestInstance.make()
        defer { instance.cleanUp() }
        try await instance.run { client in
            func image(_ fields: [String: Any]) async throws -> (bytes: [UInt8], seed: Int) {
                let json = try await client.generate(try body(set: fields), key: instance.apiKey).json()
                let url = try pathAndQuery(try #require(json["output_url"] as? String))
                return (Array(try await client.get(url).body.readableBytesView), try #require(json["seed"] as? Int))
            }
            let a = try await image(["seed": 42])
            let b = try await image(["seed": 42])
            let c = try await image(["seed": 43])
            #expect(a.bytes == b.bytes)
            #expect(a.bytes != c.bytes)
            let random = try await image([:])
            let replay = try await image(["seed": random.seed])
            #expect(random.bytes == replay.bytes, "the reported seed reproduces the image")
        }
    }

    @Test func privateReferenceURLsAreRefusedUnlessAllowed() async throws {
        for allow in [false, true] {
            let instance = try await TestInstance.make(settings: ["allow-private-image-urls": "\(allow)"])
            defer { instance.cleanUp() }
            try await instance.run(.live) { client in
                let first = try await client.generate(quickstartBody, key: instance.apiKey).json()
                let path = try pathAndQuery(try #require(first["output_url"] as? String))
                let url = "http://127.0.0.1:\(try #require(client.port))\(path)"
                let response = try await client.generate(try body(set: ["mode": "edit", "image_urls": [url]]), key: instance.apiKey)
                if allow {
                    #expect(response.status == .ok, "\(response.text)")
                } else {
                    #expect(response.status == .badRequest)
                    #expect(try response.json()["param"] as? String == "image_urls[0]")
                }
            }
        }
    }
}
