import Dispatch

/// Packed 8-bit RGB pixels the preview's background is painted into, before libvips takes over (references,
/// caption, encoding).
///
/// Painting here rather than with libvips is a measured choice (docs/benchmarks.md, B5): a smooth upscale through
/// `vips_resize` runs libvips' general affine path per pixel, and drawing discs needs a writable memory copy of the
/// whole picture anyway. One pass of fixed-point interpolation into a buffer we own does both jobs for a fraction
/// of the time.
struct RGBCanvas {
    let width: Int
    let height: Int
    private(set) var pixels: [UInt8]

    /// A grid of colours (`gridWidth`×`gridHeight`, packed RGB) interpolated bilinearly between the cells' centres
    /// to `width`×`height`; beyond the outer centres the edge colour holds. Rows are painted in parallel bands.
    init(smoothing grid: [UInt8], gridWidth: Int, gridHeight: Int, width: Int, height: Int) {
        precondition(grid.count == gridWidth * gridHeight * 3 && width > 0 && height > 0)
        self.width = width
        self.height = height
        let columns = Self.samples(count: width, cells: gridWidth)
        let rows = Self.samples(count: height, cells: gridHeight)
        let rowBytes = width * 3
        let bands = min(height, 16)
        self.pixels = [UInt8](unsafeUninitializedCapacity: height * rowBytes) { buffer, initialized in
            let base = UnsafeSendablePointer(buffer.baseAddress!)
            DispatchQueue.concurrentPerform(iterations: bands) { band in
                // One row of the grid, interpolated vertically, in 8.8 fixed point: `gridWidth` colours × 3 channels.
                var gridRow = [Int32](repeating: 0, count: gridWidth * 3)
                for y in (band * height / bands)..<((band + 1) * height / bands) {
                    let (top, bottom, down) = (rows.first[y], rows.second[y], rows.weight[y])
                    for cell in 0..<(gridWidth * 3) {
                        let a = Int32(grid[top * gridWidth * 3 + cell])
                        let b = Int32(grid[bottom * gridWidth * 3 + cell])
                        gridRow[cell] = a * (256 - down) + b * down
                    }
                    gridRow.withUnsafeBufferPointer { colours in
                        columns.paintRow(base.pointer + y * rowBytes, colours: colours.baseAddress!)
                    }
                }
            }
            initialized = height * rowBytes
        }
    }

    /// Where each output position along one axis samples the grid: the two cells around it and the weight
    /// (0...256) of the second.
    struct Samples: Sendable {
        var first: [Int] = []
        var second: [Int] = []
        var weight: [Int32] = []

        /// Paints one output row from one vertically interpolated grid row: each pixel blends the two grid
        /// colours around it (8.8 fixed point in, 8 bits out).
        func paintRow(_ row: UnsafeMutablePointer<UInt8>, colours: UnsafePointer<Int32>) {
            self.first.withUnsafeBufferPointer { firsts in
                self.second.withUnsafeBufferPointer { seconds in
                    self.weight.withUnsafeBufferPointer { weights in
                        var out = row
                        for x in 0..<firsts.count {
                            let left = colours + firsts[x] &* 3
                            let right = colours + seconds[x] &* 3
                            let across = weights[x]
                            let keep = 256 &- across
                            // Wrapping operators: the values are at most 255 × 256 × 256 < 2³¹, and without overflow
                            // checks the loop vectorises.
                            out[0] = UInt8(truncatingIfNeeded: (left[0] &* keep &+ right[0] &* across &+ 32768) &>> 16)
                            out[1] = UInt8(truncatingIfNeeded: (left[1] &* keep &+ right[1] &* across &+ 32768) &>> 16)
                            out[2] = UInt8(truncatingIfNeeded: (left[2] &* keep &+ right[2] &* across &+ 32768) &>> 16)
                            out += 3
                        }
                    }
                }
            }
        }
    }

    /// For each output position along one axis: the two grid cells around it and the weight (0...256) of the second.
    private static func samples(count: Int, cells: Int) -> Samples {
        var samples = Samples()
        for position in 0..<count {
            let centre = (Double(position) + 0.5) * Double(cells) / Double(count) - 0.5
            let clamped = min(max(centre, 0), Double(cells - 1))
            let first = min(Int(clamped), cells - 1)
            samples.first.append(first)
            samples.second.append(min(first + 1, cells - 1))
            samples.weight.append(Int32(((clamped - Double(first)) * 256).rounded()))
        }
        return samples
    }

    /// Fills a disc centred on (`cx`, `cy`), clipped to the canvas.
    mutating func fillDisc(cx: Int, cy: Int, radius: Int, colour: RGB) {
        let width = self.width
        let height = self.height
        self.pixels.withUnsafeMutableBufferPointer { out in
            for y in max(0, cy - radius)...min(height - 1, cy + radius) {
                let dy = y - cy
                let half = Int((Double(radius * radius - dy * dy)).squareRoot())
                let start = max(0, cx - half)
                let end = min(width - 1, cx + half)
                guard start <= end else { continue }
                var offset = (y * width + start) * 3
                for _ in start...end {
                    out[offset] = colour.r
                    out[offset + 1] = colour.g
                    out[offset + 2] = colour.b
                    offset += 3
                }
            }
        }
    }
}

/// A pointer handed to the bands of a parallel fill; each band writes only its own rows.
private struct UnsafeSendablePointer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<UInt8>
    init(_ pointer: UnsafeMutablePointer<UInt8>) { self.pointer = pointer }
}
