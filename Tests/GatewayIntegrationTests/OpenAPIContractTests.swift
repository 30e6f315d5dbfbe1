import Foundation
import Hummingbird
import HummingbirdTesting
import ImageGateApp
import ImageGateTestSupport
import Testing

/// The OpenAPI document and the router must describe the same API: a route the document lacks, or a documented
/// operation no route serves, fails this test.
@Suite struct OpenAPIContractTests {
    @Test func everyRouteIsDocumentedAndEveryDocumentedOperationExists() async throws {
        let instance = try await TestInstance.make(settings: ["admin-token": String(repeating: "t", count: 32)])
        defer { instance.cleanUp() }
        let (router, services) = try await buildGateway(instance.config, logger: TestInstance.logger)
        // The JSON API: everything under /v1 and /admin/v1, and the system routes. The web face's HTML pages and
        // their assets are not part of it (WebPagesTests and the browser suite cover them).
        let system: Set<String> = ["/health", "/ready", "/openapi.json", "/webhooks/stripe"]
        let routes = Set(
            router.routes.compactMap { route -> String? in
                let path =
                    "/"
                    + route.path.description.split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }
                    .joined(separator: "/")
                guard path.hasPrefix("/v1/") || path.hasPrefix("/admin/v1/") || system.contains(path) else { return nil }
                return "\(route.method.rawValue) \(path)"
            }
        )

        // Run the same router (and its services, so they shut down cleanly) to read the served document.
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            services: services,
            logger: TestInstance.logger
        )
        let documented = try await app.test(.router) { client in
            let response = try await client.get("/openapi.json")
            #expect(response.status == .ok)
            let document = try #require(try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any])
            #expect((document["openapi"] as? String)?.hasPrefix("3.1") == true)
            let paths = try #require(document["paths"] as? [String: [String: Any]])
            var operations = Set<String>()
            for (path, item) in paths {
                for method in item.keys where ["get", "post", "put", "delete", "patch", "head"].contains(method) {
                    operations.insert("\(method.uppercased()) \(path)")
                }
            }
            return operations
        }
        #expect(routes.subtracting(documented).sorted() == [], "routes missing from openapi.yaml")
        #expect(documented.subtracting(routes).sorted() == [], "documented operations with no route")
    }
}
