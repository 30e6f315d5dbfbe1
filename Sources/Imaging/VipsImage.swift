import CVipsShim

/// Owns one libvips image and releases it when the last Swift reference goes away.
///
/// libvips images are immutable once built (ImageGate never draws into one; the preview is painted in an
/// `RGBCanvas` first), so sharing the pointer across threads is safe; that is why the class is `@unchecked Sendable`.
final class VipsImageRef: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<VipsImage>

    init(_ pointer: UnsafeMutablePointer<VipsImage>) {
        self.pointer = pointer
    }

    deinit {
        ig_unref(self.pointer)
    }

    var width: Int { Int(ig_width(self.pointer)) }
    var height: Int { Int(ig_height(self.pointer)) }

    /// Runs a shim call that produces a new image through an out pointer, and wraps the result.
    static func make(
        _ operation: String,
        _ body: (UnsafeMutablePointer<UnsafeMutablePointer<VipsImage>?>) -> Int32
    ) throws(ImagingError) -> VipsImageRef {
        var out: UnsafeMutablePointer<VipsImage>?
        let rc = body(&out)
        guard rc == 0, let out else {
            if let out { ig_unref(out) }
            throw ImagingError.libvips(operation: operation, message: VipsRuntime.takeError())
        }
        return VipsImageRef(out)
    }

    /// Encodes the image (JPEG at `quality`); the bytes are copied out of the libvips buffer, which is then freed.
    func encode(_ format: ImageFormat, quality: Int32 = 90) throws(ImagingError) -> [UInt8] {
        var buffer: UnsafeMutableRawPointer?
        var length = 0
        let rc: Int32
        switch format {
        case .png: rc = ig_save_png(self.pointer, 1, &buffer, &length)
        case .jpeg: rc = ig_save_jpeg(self.pointer, quality, &buffer, &length)
        }
        guard rc == 0, let buffer else {
            throw ImagingError.libvips(operation: "encode \(format.rawValue)", message: VipsRuntime.takeError())
        }
        defer { ig_free(buffer) }
        return Array(UnsafeRawBufferPointer(start: buffer, count: length))
    }
}
