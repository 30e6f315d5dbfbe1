import NIOCore
import NIOHTTPTypes

/// Closes a connection whose request head does not arrive in time: after it opens, and once every request read on a
/// kept-alive connection has its response (a pipelined request already read is never timed by this). HTTP decoding
/// only passes a head on once it is complete, so a slow-loris client that sends its headers a byte at a time never
/// gets one through, and is cut off instead of holding the connection for minutes.
/// (The body has its own deadline, where the routes read it.)
final class RequestHeadTimeoutHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let timeout: TimeAmount
    private var timer: Scheduled<Void>?
    /// Requests whose head was read and whose response has not ended.
    private var unanswered = 0

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { self.arm(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        self.arm(context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = self.unwrapInboundIn(data) {
            self.unanswered += 1
            self.disarm()
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        // Every request read is answered: the next request's head must come in time too.
        if case .end = self.unwrapOutboundIn(data) {
            self.unanswered = max(0, self.unanswered - 1)
            if self.unanswered == 0 { self.arm(context) }
        }
        context.write(data, promise: promise)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.disarm()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.disarm()
    }

    private func arm(_ context: ChannelHandlerContext) {
        self.disarm()
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        self.timer = context.eventLoop.scheduleTask(in: self.timeout) { bound.value.close(promise: nil) }
    }

    private func disarm() {
        self.timer?.cancel()
        self.timer = nil
    }
}
