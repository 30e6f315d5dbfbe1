import Essentials

/// How the emulator reads fal's `image_size` input: an explicit `{width, height}` or one of fal's named presets.
enum FalImageSize {
    static let presets: [String: (Int, Int)] = [
        "square_hd": (1024, 1024), "square": (512, 512),
        "portrait_4_3": (768, 1024), "portrait_16_9": (576, 1024),
        "landscape_4_3": (1024, 768), "landscape_16_9": (1024, 576),
        "auto_2K": (2048, 2048), "auto_3K": (3072, 3072), "auto_4K": (4096, 4096),
    ]

    /// The pixel size, or a 422 `detail` entry explaining what is wrong.
    static func resolve(_ value: JSONValue?) -> Result<(width: Int, height: Int), FalInputError> {
        switch value {
        case nil, .null?:
            return .success((2048, 2048))
        case .string(let name)?:
            guard let size = Self.presets[name] else { return .failure(FalInputError(detail: Self.error("unknown image_size preset '\(name)'"))) }
            return .success(size)
        case .object?:
            guard let width = value?["width"]?.intValue, let height = value?["height"]?.intValue else {
                return .failure(FalInputError(detail: Self.error("image_size needs integer width and height")))
            }
            guard (14...8192).contains(width), (14...8192).contains(height) else {
                return .failure(FalInputError(detail: Self.error("image_size must be between 14 and 8192 pixels per side")))
            }
            return .success((width, height))
        default:
            return .failure(FalInputError(detail: Self.error("image_size must be a preset name or {width, height}")))
        }
    }

    static func error(_ message: String) -> JSONValue {
        .object(["loc": .array([.string("body"), .string("image_size")]), "msg": .string(message), "type": .string("value_error")])
    }
}

/// A 422 `detail` entry for input the model would refuse.
struct FalInputError: Error {
    let detail: JSONValue
}
