import CVipsShim

/// A small JPEG preview of a stored output, for lists (the playground's history) where the full image would cost
/// megabytes: fits inside `maxSide` × `maxSide`, a few kilobytes.
package enum Thumbnail {
    /// The longest side of a thumbnail: twice the history's 72 px (for high-density screens), with room to spare.
    package static let defaultMaxSide = 256
    /// Outputs come from suppliers: the header is read first, and a picture larger than this is not decoded.
    static let maxPixels = 100_000_000

    /// Makes the thumbnail of an encoded JPEG, PNG or WebP image.
    package static func jpeg(of bytes: [UInt8], maxSide: Int = Self.defaultMaxSide) throws(ImagingError) -> [UInt8] {
        // The probe decides the format from the magic bytes and reads only the header, so a decompression bomb from
        // an upstream is refused before a pixel is decoded.
        let probe = try ImageProbe.inspect(bytes, decodePixels: false)
        guard probe.width * probe.height <= Self.maxPixels else {
            throw ImagingError.unsupportedFormat("\(probe.width)×\(probe.height) is too large to preview")
        }
        let side = Int32(max(1, maxSide))
        let image = try VipsImageRef.make("thumbnail") { out in
            bytes.withUnsafeBytes { ig_thumbnail_buffer($0.baseAddress, $0.count, side, side, out) }
        }
        // Quality 80: the difference from 90 does not show at this size, and it halves the bytes.
        return try image.encode(.jpeg, quality: 80)
    }
}
