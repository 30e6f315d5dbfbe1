import Catalog
import Foundation
import Generation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ImageGateTestSupport
import ImagingTestSupport
import NIOCore
import Outbound
import Synchronization
import Testing

/// Reference URLs are fetched from exactly the address the policy checked: a DNS answer that changes between the
/// check and the connection (rebinding to loopback or the metadata service) reaches nothing.
@Suite struct ReferenceFetchTests {
    /// Answers each lookup from a script, and counts them.
    final class ScriptedResolver: HostResolver {
        private let answers: Mutex<[[String]]>
        let lookups = Mutex(0)

        init(_ answers: [[String]]) { self.answers = Mutex(answers) }

        func addresses(of host: String) throws -> [String] {
            self.lookups.withLock { $0 += 1 }
            return self.answers.withLock { answers in answers.count > 1 ? answers.removeFirst() : answers[0] }
        }
    }

    static var rules: ModelSpec.ReferenceImageRules { try! ModelCatalog.bundled().models[0].referenceImages }

    /// The Host header of each request the image server answered.
    final class HostLog: Sendable {
        private let hosts = Mutex<[String]>([])
        func append(_ host: String) { self.hosts.withLock { $0.append(host) } }
        var all: [String] { self.hosts.withLock { $0 } }
    }

    /// An image server on loopback that records the Host header of each request.
    static func withImageServer(_ body: @Sendable (Int, HostLog) async throws -> Void) async throws {
        let png = try HostileImages.image(width: 300, height: 300, format: .png)
        let hosts = HostLog()
        let router = Router()
        router.get("/image.png") { request, _ -> Response in
            hosts.append(request.head.authority ?? "")
            return Response(status: .ok, headers: [.contentType: "image/png"], body: .init(byteBuffer: ByteBuffer(bytes: png)))
        }
        try await Application(router: router).test(.live) { client in
            try await body(client.port!, hosts)
        }
    }

    @Test func theConnectionGoesToTheCheckedAddressWithTheNameKept() async throws {
        try await Self.withImageServer { port, hosts in
            // The name exists only in the scripted resolver: the fetch can only succeed through the pinned address.
            let resolver = ScriptedResolver([["127.0.0.1"]])
            let loader = ReferenceLoader(allowPrivateAddresses: true, resolver: resolver)
            let images = try await loader.load(["http://images.pinned.invalid:\(port)/image.png"], rules: Self.rules)
            #expect(images.first?.probe.width == 300)
            #expect(resolver.lookups.withLock { $0 } == 1)
            #expect(hosts.all == ["images.pinned.invalid:\(port)"])
        }
    }

    @Test func aNameThatRebindsToLoopbackAfterTheCheckReachesNothing() async throws {
        try await Self.withImageServer { port, hosts in
            // Public for the check, loopback for anyone who asks again.
            let resolver = ScriptedResolver([["93.184.216.34"], ["127.0.0.1"]])
            let loader = ReferenceLoader(allowPrivateAddresses: false, resolver: resolver, timeout: .seconds(2))
            await #expect(throws: RequestError.self) {
                try await loader.load(["http://rebind.invalid:\(port)/image.png"], rules: Self.rules)
            }
            #expect(resolver.lookups.withLock { $0 } == 1, "one lookup per hop: the connection never asks again")
            #expect(hosts.all.isEmpty, "nothing reached loopback")
        }
    }

    @Test func aNameWithAnyPrivateAddressIsRefusedBeforeConnecting() async throws {
        let resolver = ScriptedResolver([["93.184.216.34", "169.254.169.254"]])
        let loader = ReferenceLoader(allowPrivateAddresses: false, resolver: resolver)
        await #expect(
            throws: RequestError.invalid("image_urls[0]", "image_urls[0] points to a private or local network address, which is not allowed.")
        ) {
            try await loader.load(["http://metadata.invalid/latest/meta-data"], rules: Self.rules)
        }
    }
    @Test func aServerThatTricklesItsBodyIsCutOffAtTheDeadlineAndFreesItsSlot() async throws {
        // One byte every 100 ms for a minute: the read timeout never fires, so only a deadline over the whole body
        // ends the fetch. Without it the fetch collects bytes until the server stops, holding the slot throughout.
        let router = Router()
        router.get("/slow.png") { _, _ -> Response in
            Response(
                status: .ok,
                headers: [.contentType: "image/png"],
                body: ResponseBody { writer in
                    for _ in 0..<600 {
                        try await writer.write(ByteBuffer(bytes: [0x89]))
                        try await Task.sleep(for: .milliseconds(100))
                    }
                    try await writer.finish(nil)
                }
            )
        }
        try await Application(router: router).test(.live) { client in
            let limiter = FetchLimiter()
            let loader = ReferenceLoader(allowPrivateAddresses: true, timeout: .seconds(1), limiter: limiter)
            await #expect(throws: RequestError.invalid("image_urls[0]", "image_urls[0] could not be fetched (timed out).")) {
                try await loader.load(["http://127.0.0.1:\(client.port!)/slow.png"], rules: Self.rules, caller: "key")
            }
            #expect(await limiter.inFlight == 0)
        }
    }
}
