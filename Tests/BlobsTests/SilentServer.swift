import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOPosix
import Testing

@testable import Blobs

/// A TCP server that accepts connections and then answers nothing more than `answer` (nothing at all if nil), so
/// every request to it waits: a store that hangs.
final class SilentServer: Sendable {
    let channel: any Channel
    let port: Int

    init(channel: any Channel, port: Int) {
        self.channel = channel
        self.port = port
    }

    static func start(answer: String?) async throws -> SilentServer {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(AnswerOnce(answer: answer))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return SilentServer(channel: channel, port: try #require(channel.localAddress?.port))
    }

    func close() { self.channel.close(promise: nil) }

    final class AnswerOnce: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let answer: String?
        var answered = false

        init(answer: String?) { self.answer = answer }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard let answer = self.answer, !self.answered else { return }
            self.answered = true
            context.writeAndFlush(self.wrapOutboundOut(ByteBuffer(string: answer)), promise: nil)
        }
    }
}
