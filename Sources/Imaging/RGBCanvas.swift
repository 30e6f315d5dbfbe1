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
    ///
    /// Bilinear interpolation is separable: each grid row is first spread across the full width (a few rows,
    /// once), and every output row is then a blend of two of those, element by element, which vectorises.
    init(smoothing grid: [UInt8], gridWidth: Int, gridHeight: Int, width: Int, height: Int) {
        precondition(grid.count == gridWidth * gridHeight * 3 && width > 0 && height > 0)
        self.width = width
        self.height = height
        let rowBytes = width * 3
        // Each grid row across the full width, in 8.8 fixed point (at most 255 × 256).
        let columns = Self.samples(count: width, cells: gridWidth)
        let wideRows: [[Int32]] = (0..<gridHeight).map { row in
            var wide = [Int32](repeating: 0, count: rowBytes)
            for x in 0..<width {
                let left = (row * gridWidth + columns.first[x]) * 3
                let right = (row * gridWidth + columns.second[x]) * 3
                let across = columns.weight[x]
                for channel in 0..<3 {
                    wide[x * 3 + channel] = Int32(grid[left + channel]) * (256 - across) + Int32(grid[right + channel]) * across
                }
            }
            return wide
        }
        let rows = Self.samples(count: height, cells: gridHeight)
        let bands = min(height, 16)
        self.pixels = [UInt8](unsafeUninitializedCapacity: height * rowBytes) { buffer, initialized in
            let base = UnsafeSendablePointer(buffer.baseAddress!)
            DispatchQueue.concurrentPerform(iterations: bands) { band in
                for y in (band * height / bands)..<((band + 1) * height / bands) {
                    let down = rows.weight[y]
                    wideRows[rows.first[y]].withUnsafeBufferPointer { top in
                        wideRows[rows.second[y]].withUnsafeBufferPointer { bottom in
                            Self.blend(top, bottom, weight: down, into: base.pointer + y * rowBytes)
                        }
                    }
                }
            }
            initialized = height * rowBytes
        }
    }

    /// One output row: `top` and `bottom` (8.8 fixed point) blended with `weight`/256 of `bottom`, rounded to 8 bits.
    /// Wrapping operators: the values stay below 255 × 256 × 256 < 2³¹, and without overflow checks the loop
    /// vectorises.
    private static func blend(
        _ top: UnsafeBufferPointer<Int32>,
        _ bottom: UnsafeBufferPointer<Int32>,
        weight: Int32,
        into row: UnsafeMutablePointer<UInt8>
    ) {
        let keep = 256 &- weight
        for index in 0..<top.count {
            row[index] = UInt8(truncatingIfNeeded: (top[index] &* keep &+ bottom[index] &* weight &+ 32768) &>> 16)
        }
    }

    /// Where each output position along one axis samples the grid: the two cells around it and the weight
    /// (0...256) of the second.
    struct Samples: Sendable {
        var first: [Int] = []
        var second: [Int] = []
        var weight: [Int32] = []
    }

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
        let top = max(0, cy - radius)
        let bottom = min(height - 1, cy + radius)
        guard top <= bottom else { return }
        self.pixels.withUnsafeMutableBufferPointer { out in
            for y in top...bottom {
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
