import Catalog
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import GatewayAPI
@testable import Generation

/// `GET /v1/generations/{id}/events`: one Server-Sent Event per step, numbered so a reconnecting client gets only
/// what it has not seen, a heartbeat comment while nothing changes, and the end of the stream after the final event.
@Suite struct GenerationEventsTests {
    typealias Fixture = GenerationControllerTests

    /// The stream's events as (id, event name, generation status from the data line), and its comment lines.
    static func parse(_ text: String) throws -> (events: [(Int, String, String)], comments: Int) {
        var events: [(Int, String, String)] = []
        var comments = 0
        for block in text.components(separatedBy: "\n\n") where !block.isEmpty {
            var fields: [String: String] = [:]
            for line in block.split(separator: "\n") {
                if line.hasPrefix(":") {
                    comments += 1
                    continue
                }
                let parts = line.split(separator: ":", maxSplits: 1)
                fields[String(parts[0])] = parts.count > 1 ? String(parts[1].dropFirst()) : ""
            }
            guard let id = fields["id"].flatMap(Int.init), let name = fields["event"], let data = fields["data"] else { continue }
            let json = try #require(try JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any])
            events.append((id, name, try #require(json["status"] as? String)))
        }
        return (events, comments)
    }

    static func stream(_ views: [GenerationStatus], lastEventID: String? = nil) async throws -> (HTTPResponse.Status, HTTPFields, String) {
        try await Self.stream(records: views.map(Fixture.record), lastEventID: lastEventID)
    }

    static func stream(records: [GenerationRecord], lastEventID: String? = nil) async throws -> (HTTPResponse.Status, HTTPFields, String) {
        let generations = ScriptedGenerations(catalog: Fixture.catalog, views: records)
        var headers: HTTPFields = [:]
        if let lastEventID { headers[HTTPField.Name("Last-Event-ID")!] = lastEventID }
        return try await Application(router: Fixture.router(generations)).test(.router) { [headers] client in
            let response = try await client.execute(uri: "/v1/generations/gen_1/events", method: .get, headers: headers)
            return (response.status, response.headers, String(buffer: response.body))
        }
    }

    @Test func everyStepIsOneNumberedEventAndTheStreamEndsAfterTheLast() async throws {
        // Seen queued; then nothing new for a heartbeat; then processing; then completed.
        let (status, headers, text) = try await Self.stream([.queued, .queued, .processing, .completed])
        #expect(status == .ok)
        #expect(headers[.contentType] == "text/event-stream; charset=utf-8")
        #expect(headers[.cacheControl] == "no-cache")
        let parsed = try Self.parse(text)
        #expect(parsed.events.map(\.0) == [1, 2, 3])
        #expect(parsed.events.map(\.1) == ["queued", "processing", "completed"])
        #expect(parsed.events.map(\.2) == ["queued", "processing", "completed"], "the data is the generation at that step")
        #expect(parsed.comments == 1, "one heartbeat for the wait in which nothing changed")
    }

    @Test func aReconnectingClientGetsOnlyWhatItHasNotSeen() async throws {
        let resumed = try Self.parse(try await Self.stream([.processing, .failed], lastEventID: "2").2)
        #expect(resumed.events.map(\.0) == [3])
        #expect(resumed.events.map(\.1) == ["failed"])

        // Everything seen already: the stream ends at once, empty.
        let (status, _, text) = try await Self.stream([.completed], lastEventID: "3")
        #expect(status == .ok)
        #expect(text.isEmpty)

        // A Last-Event-ID that is not ours counts as nothing seen.
        #expect(try Self.parse(try await Self.stream([.completed], lastEventID: "abc").2).events.map(\.0) == [3])
    }

    @Test func theUpstreamsQueuePositionIsAnEventWithoutAnIdEachTimeItChanges() async throws {
        func processing(_ position: Int?) -> GenerationRecord {
            var record = Fixture.record(.processing)
            record.queuePosition = position
            return record
        }
        let views = [Fixture.record(.queued), processing(2), processing(2), processing(0), processing(nil), Fixture.record(.completed)]
        let text = try await Self.stream(records: views).2
        let blocks = text.components(separatedBy: "\n\n").filter { !$0.isEmpty && !$0.hasPrefix(":") }
        let names = blocks.compactMap { $0.split(separator: "\n").first { $0.hasPrefix("event: ") }.map { String($0.dropFirst(7)) } }
        #expect(names == ["queued", "processing", "queue_position", "queue_position", "completed"])
        let positions = blocks.filter { $0.contains("event: queue_position") }
        #expect(positions.allSatisfy { !$0.contains("id: ") }, "a place is not replayed on reconnect: no id")
        #expect(positions.map { $0.contains("\"queue_position\":2") } == [true, false])
        #expect(positions.map { $0.contains("\"queue_position\":0") } == [false, true])
        #expect(try Self.parse(text).events.map(\.0) == [1, 2, 3], "the steps keep their ids")
    }
}
