/// Encodings ImageGate writes.
public enum ImageFormat: String, Sendable, CaseIterable, Codable {
    case png
    case jpeg

    /// The MIME type served with an image of this format.
    public var contentType: String {
        switch self {
        case .png: "image/png"
        case .jpeg: "image/jpeg"
        }
    }

    /// The file extension used in output links.
    public var fileExtension: String {
        switch self {
        case .png: "png"
        case .jpeg: "jpg"
        }
    }
}

/// Encodings ImageGate reads as reference images.
public enum InputImageFormat: String, Sendable, Equatable {
    case jpeg
    case png
    case webp

    /// The MIME type of an image in this format (a data URI's type, for instance).
    public var contentType: String {
        switch self {
        case .jpeg: "image/jpeg"
        case .png: "image/png"
        case .webp: "image/webp"
        }
    }

    /// Maps the libvips loader name (e.g. `VipsForeignLoadPngBuffer`) to a format, or nil for anything else.
    init?(loader: String) {
        let name = loader.lowercased()
        if name.contains("jpeg") {
            self = .jpeg
        } else if name.contains("png") {
            self = .png
        } else if name.contains("webp") {
            self = .webp
        } else {
            return nil
        }
    }
}
