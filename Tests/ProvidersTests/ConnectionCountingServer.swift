import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A loopback HTTP/1.1 server that keeps connections alive and records, for each request, its method and its place
/// on its connection (1 for the first request a connection carries): proof of which requests rode a reused
/// connection. It answers every POST with a fal queue handle and every other request with `{}`.
final class ConnectionCountingServer: Sendable {
    private let channel: any Channel
    private let log: Mutex<[(method: HTTPMethod, place: Int)]>
    let port: Int

    private init(channel: any Channel) {
        self.channel = channel
        self.port = channel.localAddress?.port ?? 0
        self.log = Mutex([])
    }

    var url: String { "http://127.0.0.1:\(self.port)" }

    /// Each request's method and place on its connection, in arrival order.
    var requests: [(method: HTTPMethod, place: Int)] { self.log.withLock { $0 } }

    static func start() async throws -> ConnectionCountingServer {
        let recorder = Recorder()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Responder(recorder: recorder))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let server = ConnectionCountingServer(channel: channel)
        recorder.server.withLock { $0 = server }
        return server
    }

    func stop() async throws { try await self.channel.close() }

    fileprivate func record(_ method: HTTPMethod, place: Int) {
        self.log.withLock { $0.append((method, place)) }
    }

    /// Lets each connection's handler reach the server, which exists only once the listener is bound.
    private final class Recorder: Sendable {
        let server = Mutex<ConnectionCountingServer?>(nil)
    }

    /// One per connection: counts its requests and answers them.
    private final class Responder: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let recorder: Recorder
        var served = 0
        var method = HTTPMethod.GET

        init(recorder: Recorder) { self.recorder = recorder }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch self.unwrapInboundIn(data) {
            case .head(let head):
                self.method = head.method
            case .body:
                break
            case .end:
                self.served += 1
                self.recorder.server.withLock { $0?.record(self.method, place: self.served) }
                let base = "http://127.0.0.1:\(context.localAddress?.port ?? 0)"
                let text =
                    self.method == .POST
                    ? #"{"request_id":"r\#(self.served)","status_url":"\#(base)/s","response_url":"\#(base)/r","cancel_url":"\#(base)/c"}"#
                    : "{}"
                var headers = HTTPHeaders([("Content-Type", "application/json"), ("Content-Length", "\(text.utf8.count)")])
                headers.add(name: "Connection", value: "keep-alive")
                context.write(self.wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
                context.write(self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: text)))), promise: nil)
                context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
            }
        }
    }
}
