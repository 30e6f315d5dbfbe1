import CVipsShim

/// What the local engine draws: a procedural preview, not a model's picture.
package struct PreviewSpec: Sendable {
    package var prompt: String
    /// Mixes everything that must change the picture (seed, size, references) into one number.
    package var variation: UInt64
    package var width: Int
    package var height: Int
    /// Encoded reference images to compose into the output (edit mode).
    package var references: [[UInt8]]
    package var format: ImageFormat
    /// A small second caption line saying what made the picture, so it is never mistaken for the model's.
    package var footer: String

    package init(prompt: String, variation: UInt64, width: Int, height: Int, references: [[UInt8]] = [], format: ImageFormat, footer: String) {
        self.prompt = prompt
        self.variation = variation
        self.width = width
        self.height = height
        self.references = references
        self.format = format
        self.footer = footer
    }
}

/// Renders a deterministic preview image with libvips: a smooth colour field from a palette derived from the prompt,
/// seeded discs, the references (edit mode) and the prompt as a caption.
///
/// Every call is synchronous and CPU-bound; callers run it off the async executors (see `LocalProvider`).
package enum PreviewRenderer {
    package static func render(_ spec: PreviewSpec) throws(ImagingError) -> [UInt8] {
        try VipsRuntime.start()
        var random = SeededRandom(seed: spec.variation)
        let palette = Palette(prompt: spec.prompt)

        var canvas = self.colourField(spec: spec, palette: palette, random: &random)
        self.drawDiscs(on: &canvas, palette: palette, random: &random)
        // libvips reads the canvas in place; every image built on it is released before this closure returns.
        return try canvas.pixels.withUnsafeBufferPointer { (pixels) throws(ImagingError) -> [UInt8] in
            var image = try VipsImageRef.make("canvas") {
                ig_wrap_rgb(pixels.baseAddress, pixels.count, Int32(canvas.width), Int32(canvas.height), $0)
            }
            if !spec.references.isEmpty {
                image = try self.compose(spec.references, onto: image)
            }
            let fontSize = max(16, spec.height / 28)
            let captioned = try VipsImageRef.make("caption") { ig_caption(image.pointer, spec.prompt, spec.footer, Int32(fontSize), $0) }
            return try captioned.encode(spec.format)
        }
    }

    /// A small grid of palette colours, interpolated smoothly to the full size.
    private static func colourField(spec: PreviewSpec, palette: Palette, random: inout SeededRandom) -> RGBCanvas {
        let gridWidth = 6
        let gridHeight = max(2, Int((Double(gridWidth) * Double(spec.height) / Double(spec.width)).rounded()))
        var grid: [UInt8] = []
        grid.reserveCapacity(gridWidth * gridHeight * 3)
        for _ in 0..<(gridWidth * gridHeight) {
            let colour = palette.colours[Int(random.next() % UInt64(palette.colours.count))]
            let jitter = Int(random.next() % 31) - 15
            for channel in [colour.r, colour.g, colour.b] {
                grid.append(UInt8(clamping: Int(channel) + jitter))
            }
        }
        return RGBCanvas(smoothing: grid, gridWidth: gridWidth, gridHeight: gridHeight, width: spec.width, height: spec.height)
    }

    /// Seeded discs in palette colours.
    private static func drawDiscs(on canvas: inout RGBCanvas, palette: Palette, random: inout SeededRandom) {
        let count = 5 + Int(random.next() % 8)
        let shortSide = min(canvas.width, canvas.height)
        for _ in 0..<count {
            let colour = palette.colours[Int(random.next() % UInt64(palette.colours.count))]
            let x = Int(random.next() % UInt64(canvas.width))
            let y = Int(random.next() % UInt64(canvas.height))
            let radius = shortSide / 20 + Int(random.next() % UInt64(max(1, shortSide / 6)))
            canvas.fillDisc(cx: x, cy: y, radius: radius, colour: colour)
        }
    }

    /// Lays the references out in one row across the middle, each scaled to fit its tile.
    private static func compose(_ references: [[UInt8]], onto base: VipsImageRef) throws(ImagingError) -> VipsImageRef {
        let margin = base.width / 20
        let tileWidth = (base.width - 2 * margin) / references.count
        let tileHeight = base.height / 2
        var canvas = base
        for (index, bytes) in references.enumerated() {
            let thumb = try VipsImageRef.make("thumbnail") { out in
                bytes.withUnsafeBytes { ig_thumbnail_buffer($0.baseAddress, $0.count, Int32(max(1, tileWidth - 8)), Int32(tileHeight), out) }
            }
            let x = margin + index * tileWidth + (tileWidth - thumb.width) / 2
            let y = (base.height - thumb.height) / 3
            let current = canvas
            canvas = try VipsImageRef.make("insert") { ig_insert(current.pointer, thumb.pointer, Int32(x), Int32(y), $0) }
        }
        return canvas
    }
}
