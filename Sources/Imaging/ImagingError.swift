/// What can go wrong inside the imaging layer. The text is for logs, never for API users.
package enum ImagingError: Error, Equatable, Sendable, CustomStringConvertible {
    /// libvips refused or failed an operation.
    case libvips(operation: String, message: String)
    /// The bytes are not an image in a format we accept.
    case unsupportedFormat(String)

    package var description: String {
        switch self {
        case .libvips(let operation, let message): "libvips \(operation) failed: \(message)"
        case .unsupportedFormat(let loader): "unsupported image format (\(loader))"
        }
    }
}
