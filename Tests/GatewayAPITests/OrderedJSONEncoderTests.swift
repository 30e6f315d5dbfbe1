import Blobs
import Essentials
import Foundation
import Testing

@testable import GatewayAPI

/// The one JSON encoder of the API: declared order, snake_case, explicit nulls, omittable fields, stable maps.
@Suite struct OrderedJSONEncoderTests {
    struct Sample: Encodable {
        let zebraName: String
        let alpha: Int
        let missingValue: String?
        let onlySometimes: Omittable<String>
        let nested: [String: Int]
        let price: Decimal
        let ratio: Double
        let text: String
    }

    func text(_ value: some Encodable) throws -> String {
        String(decoding: try OrderedJSONEncoder().encode(value), as: UTF8.self)
    }

    @Test func fieldsInDeclaredOrderSnakeCaseWithNullsAndSortedMaps() throws {
        let sample = Sample(
            zebraName: "z",
            alpha: 1,
            missingValue: nil,
            onlySometimes: .omitted,
            nested: ["b": 2, "a": 1, "c": 3],
            price: Decimal(string: "0.014")!,
            ratio: 1.5,
            text: "a \"quote\", a \\ and a /path\n\u{1}"
        )
        #expect(
            try self.text(sample)
                == #"{"zebra_name":"z","alpha":1,"missing_value":null,"nested":{"a":1,"b":2,"c":3},"price":0.014,"ratio":1.5,"text":"a \"quote\", a \\ and a /path\n\u0001"}"#
        )
        // The output is JSON that Foundation reads back.
        #expect(try JSONSerialization.jsonObject(with: Data(try OrderedJSONEncoder().encode(sample))) is [String: Any])
    }

    @Test func snakeCaseKeepsAcronymsTogether() {
        #expect(OrderedJSONEncoder.snakeCase("estimatedCostUsd") == "estimated_cost_usd")
        #expect(OrderedJSONEncoder.snakeCase("pixelURLSize") == "pixel_url_size")
        #expect(OrderedJSONEncoder.snakeCase("durationMs") == "duration_ms")
        #expect(OrderedJSONEncoder.snakeCase("already_snake") == "already_snake")
    }

    @Test func aGenerationStartsWithTheProductPagesFieldsInItsOrder() throws {
        let links = OutputLinks(signer: OutputLinkSigner(secretHex: String(repeating: "ab", count: 32)), baseURL: "http://test")
        let json = try self.text(GenerationResponse(GenerationControllerTests.record(.queued), links: links))
        #expect(
            json.hasPrefix(
                #"{"generation_id":"gen_1","status":"queued","model":"seedream-5-lite","mode":"generate","estimated_cost_usd":0.014,"output_url":null,"duration_ms":null,"#
            ),
            "\(json)"
        )
        #expect(!json.contains(#""code":"#), "a generation that did not fail has no top-level error fields")
    }
}
