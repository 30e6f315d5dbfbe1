import NIOCore
import NIOPosix
import Synchronization

/// A loopback TCP listener that counts the connections it is offered and closes them at once: proof that the server
/// under test did, or did not, try to fetch a URL.
final class CountingServer: Sendable {
    private let channel: any Channel
    private let counter: Counter
    let port: Int

    /// Counts accepted connections.
    final class Counter: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let count = Mutex(0)

        func channelActive(context: ChannelHandlerContext) {
            self.count.withLock { $0 += 1 }
            context.close(promise: nil)
        }
    }

    private init(channel: any Channel, counter: Counter) {
        self.channel = channel
        self.counter = counter
        self.port = channel.localAddress?.port ?? 0
    }

    static func start() async throws -> CountingServer {
        let counter = Counter()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(counter) } }
            .bind(host: "127.0.0.1", port: 0).get()
        return CountingServer(channel: channel, counter: counter)
    }

    var connections: Int { self.counter.count.withLock { $0 } }

    func stop() async throws { try await self.channel.close() }
}
