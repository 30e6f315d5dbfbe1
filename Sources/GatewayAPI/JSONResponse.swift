import Essentials
import Foundation
import HTTPTypes
import Hummingbird

/// Builds JSON responses with one encoder for the whole API (fields in declared order, snake_case, explicit nulls).
enum JSONResponse {
    static func make(_ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) throws -> Response {
        let data = try OrderedJSONEncoder().encode(value)
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// ISO 8601 timestamps with milliseconds, in UTC, for every time the API shows.
enum APITime {
    static func string(_ millis: Int64?) -> String? {
        millis.map(Timestamp.iso8601)
    }
}
