import NIOCore

/// Turns the bytes a server sends into whole ``SMTPReply`` values for the channel's reader; the parsing itself is
/// ``SMTPReply/parse(_:)``, kept apart from NIO so it can be tested on its own.
struct SMTPReplyDecoder: ByteToMessageDecoder {
    typealias InboundOut = SMTPReply

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        // Look without consuming: an incomplete reply stays in the buffer for the next read.
        var bytes = Array(buffer.readableBytesView)
        guard let reply = try SMTPReply.parse(&bytes) else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: buffer.readableBytes - bytes.count)
        context.fireChannelRead(Self.wrapInboundOut(reply))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        try self.decode(context: context, buffer: &buffer)
    }
}
