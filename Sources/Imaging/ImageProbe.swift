import CVipsShim

/// The facts about an encoded input image that validation needs.
public struct ImageProbe: Sendable, Equatable {
    public let format: InputImageFormat
    public let width: Int
    public let height: Int

    /// Reads the format and size of `bytes`. With `decodePixels` every pixel is decoded too, so a truncated or
    /// corrupt file fails here rather than later; check the size from a header-only probe first, so a
    /// decompression bomb is refused before it is decoded.
    public static func inspect(_ bytes: [UInt8], decodePixels: Bool) throws(ImagingError) -> ImageProbe {
        try VipsRuntime.start()
        var width: Int32 = 0
        var height: Int32 = 0
        var loader: UnsafePointer<CChar>?
        let rc = bytes.withUnsafeBytes { raw in
            ig_probe_buffer(raw.baseAddress, raw.count, decodePixels ? 1 : 0, &width, &height, &loader)
        }
        let loaderName = loader.map { String(cString: $0) } ?? "unknown"
        guard rc == 0 else {
            let message = VipsRuntime.takeError()
            if loader == nil { throw ImagingError.unsupportedFormat("not a recognised image") }
            throw ImagingError.libvips(operation: "decode", message: message)
        }
        guard let format = InputImageFormat(loader: loaderName) else {
            throw ImagingError.unsupportedFormat(loaderName)
        }
        return ImageProbe(format: format, width: Int(width), height: Int(height))
    }
}
