import CVipsShim
import Foundation

/// Process-wide libvips start-up and error reporting.
package enum VipsRuntime {
    /// Starts libvips once; every Imaging entry point calls this first, so callers never need to.
    package static func start() throws(ImagingError) {
        if startOnce != 0 {
            throw ImagingError.libvips(operation: "vips_init", message: "libvips failed to start")
        }
    }

    private static let startOnce: Int32 = ig_init("imagegate")

    /// Takes (and clears) libvips' error text for the current failure.
    static func takeError() -> String {
        var bytes = [CChar](repeating: 0, count: 1024)
        ig_take_error(&bytes, bytes.count)
        let text = String(decoding: bytes.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
