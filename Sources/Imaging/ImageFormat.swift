import CVipsShim

/// Encodings ImageGate writes.
package enum ImageFormat: String, Sendable, CaseIterable, Codable {
    case png
    case jpeg

    /// The MIME type served with an image of this format.
    package var contentType: String {
        switch self {
        case .png: "image/png"
        case .jpeg: "image/jpeg"
        }
    }

    /// The file extension used in output links.
    package var fileExtension: String {
        switch self {
        case .png: "png"
        case .jpeg: "jpg"
        }
    }
}

/// Encodings ImageGate reads as reference images.
package enum InputImageFormat: String, Sendable, Equatable {
    case jpeg
    case png
    case webp

    /// The MIME type of an image in this format (a data URI's type, for instance).
    package var contentType: String {
        switch self {
        case .jpeg: "image/jpeg"
        case .png: "image/png"
        case .webp: "image/webp"
        }
    }

    /// The format the first bytes announce (JPEG's SOI marker, PNG's signature, a RIFF container of WebP), or nil
    /// for anything else. Nothing else of the file is read: libvips then gets exactly this format's loader.
    package init?(magicBytes bytes: [UInt8]) {
        if bytes.starts(with: [0xFF, 0xD8, 0xFF]) {
            self = .jpeg
        } else if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) {
            self = .png
        } else if bytes.count >= 12, bytes.starts(with: Array("RIFF".utf8)), Array(bytes[8..<12]) == Array("WEBP".utf8) {
            self = .webp
        } else {
            return nil
        }
    }

    /// The shim's name for this format.
    var shimCode: Int32 {
        switch self {
        case .jpeg: Int32(IG_FORMAT_JPEG)
        case .png: Int32(IG_FORMAT_PNG)
        case .webp: Int32(IG_FORMAT_WEBP)
        }
    }
}
