import CVipsShim

/// The facts about an encoded input image that validation needs.
package struct ImageProbe: Sendable, Equatable {
    package let format: InputImageFormat
    package let width: Int
    package let height: Int

    /// Reads the format and size of `bytes`. With `decodePixels` every pixel is decoded too, so a truncated or
    /// corrupt file fails here rather than later; check the size from a header-only probe first, so a
    /// decompression bomb is refused before it is decoded.
    package static func inspect(_ bytes: [UInt8], decodePixels: Bool) throws(ImagingError) -> ImageProbe {
        // The type is decided here, from the magic bytes, before libvips sees anything: an SVG, a PDF or a PPM
        // never reaches a parser.
        guard let format = InputImageFormat(magicBytes: bytes) else {
            throw ImagingError.unsupportedFormat("not a JPEG, PNG or WebP image")
        }
        try VipsRuntime.start()
        var width: Int32 = 0
        var height: Int32 = 0
        let rc = bytes.withUnsafeBytes { raw in
            ig_probe_buffer(raw.baseAddress, raw.count, format.shimCode, decodePixels ? 1 : 0, &width, &height)
        }
        guard rc == 0 else {
            throw ImagingError.libvips(operation: "decode", message: VipsRuntime.takeError())
        }
        return ImageProbe(format: format, width: Int(width), height: Int(height))
    }
}
