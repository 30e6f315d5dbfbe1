import Catalog
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import WebFace

/// `/docs` from an OpenAPI document: operations under their tags, `$ref`s followed, a body's variants told apart,
/// error answers with their codes, and descriptions rendered as text, never as markup.
@Suite struct APIReferenceTests {
    static let document = #"""
        {"openapi": "3.1.0", "info": {"title": "Gate", "version": "1.0", "description": "Intro with `code`."},
         "tags": [{"name": "Things", "description": "Things to do."}],
         "paths": {"/v1/things": {"post": {"tags": ["Things"], "operationId": "makeThing", "summary": "Make a thing",
           "description": "First line\nsame paragraph.\n\n| a | b |\n|---|---|\n| `x` | <script>alert(1)</script> |\n\n```sh\ncurl it\n```\n\n- one\n- two",
           "parameters": [{"$ref": "#/components/parameters/Key"}],
           "requestBody": {"content": {"application/json": {"schema": {"oneOf": [{"$ref": "#/components/schemas/Small"}, {"$ref": "#/components/schemas/Big"}]},
             "examples": {"min": {"summary": "The least", "value": {"name": "a"}}}}}},
           "responses": {"201": {"description": "Made.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Big"}}}},
             "404": {"$ref": "#/components/responses/Missing"}}}}},
         "components": {
           "parameters": {"Key": {"name": "Idempotency-Key", "in": "header", "schema": {"type": "string"}, "description": "Once."}},
           "responses": {"Missing": {"description": "Gone.", "content": {"application/json": {"schema": {"allOf": [{"$ref": "#/components/schemas/Error"}, {"properties": {"code": {"enum": ["not_found"]}}}]}}}}},
           "schemas": {
             "Small": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string", "description": "Its name."}, "size": {"enum": ["s", null]}}},
             "Big": {"type": "object", "required": ["name", "size"], "properties": {"name": {"type": "string", "description": "Its name."}, "size": {"type": "array", "items": {"type": "integer"}}}},
             "Error": {"type": "object", "properties": {"code": {"type": "string"}}}}}}
        """#

    @Test func anOperationIsReadWithItsReferencesFollowed() throws {
        let reference = try #require(APIReference(json: Array(Self.document.utf8)))
        let operation = try #require(reference.sections.first?.operations.first)
        #expect(reference.sections.map(\.name) == ["Things"])
        #expect(operation.method == "POST" && operation.path == "/v1/things" && operation.anchor == "op-makething")
        #expect(operation.parameters.map(\.name) == ["Idempotency-Key"] && operation.parameters[0].location == "header")
        #expect(operation.body.map(\.name) == ["name", "size"])
        #expect(operation.body.map(\.required) == [true, false], "required only where every variant requires it")
        #expect(operation.body[1].type == "s or null (Small); array of integer (Big)")
        #expect(operation.examples.map(\.summary) == ["The least"])
        #expect(operation.responses.map(\.status) == ["201", "404"])
        #expect(operation.responses.map(\.schema) == ["Big", "Error (code: not_found)"])
        #expect(reference.schemas.map(\.name) == ["Big", "Error", "Small"])
    }

    @Test func descriptionsBecomeParagraphsTablesCodeAndListsOfText() throws {
        let blocks = MarkdownBlock.parse("First line\nsame paragraph.\n\n| a | b |\n|---|---|\n| `x` | y |\n\n```sh\ncurl it\n```\n\n- one\n- two")
        #expect(blocks.count == 4)
        #expect(blocks[0].paragraph?.spans.map(\.text) == ["First line same paragraph."])
        #expect(blocks[1].table?.header.count == 2 && blocks[1].table?.rows.count == 1)
        #expect(blocks[1].table?.rows.first?.cells.first?.spans.first?.isCode == true)
        #expect(blocks[2].code?.text == "curl it")
        #expect(blocks[3].list?.items.count == 2)
    }

    @Test func theDocsPageEscapesWhatTheDocumentSays() async throws {
        let router = Router()
        let settings = WebSettings(publicURL: "http://gate.test:8080", retentionSeconds: 86_400, adminEnabled: false)
        let pages = WebPages(catalog: try ModelCatalog.bundled(), settings: settings, openAPI: Array(Self.document.utf8))
        WebController<BasicRequestContext>(pages: pages).addRoutes(to: router)
        try await Application(router: router).test(.router) { client in
            let page = String(buffer: try await client.execute(uri: "/docs", method: .get).body)
            #expect(page.contains("<h3 id=\"op-makething\"><span class=\"method\">POST</span> <code>/v1/things</code></h3>"))
            #expect(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;") && !page.contains("<script>alert"))
            #expect(page.contains("<td><code>x</code></td>"))
        }
        // Without a document there is no reference to show.
        let bare = Router()
        WebController<BasicRequestContext>(pages: WebPages(catalog: try ModelCatalog.bundled(), settings: settings)).addRoutes(to: bare)
        try await Application(router: bare).test(.router) { client in
            let status = try await client.execute(uri: "/docs", method: .get).status
            #expect(status == .notFound)
        }
    }
}
