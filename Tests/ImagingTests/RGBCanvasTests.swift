import Testing

@testable import Imaging

/// The preview's background painter: smooth interpolation between grid centres and clipped discs.
@Suite struct RGBCanvasTests {
    func pixel(_ canvas: RGBCanvas, _ x: Int, _ y: Int) -> [UInt8] {
        let offset = (y * canvas.width + x) * 3
        return Array(canvas.pixels[offset..<(offset + 3)])
    }

    @Test func interpolatesBetweenCellCentresAndHoldsTheEdges() {
        // Two cells side by side: black on the left, (200, 100, 0) on the right, two rows alike.
        let grid: [UInt8] = [0, 0, 0, 200, 100, 0, 0, 0, 0, 200, 100, 0]
        let canvas = RGBCanvas(smoothing: grid, gridWidth: 2, gridHeight: 2, width: 400, height: 37)
        #expect(canvas.pixels.count == 400 * 37 * 3)
        // Left of the first centre (x = 100) and right of the second (x = 300) the edge colours hold.
        #expect(self.pixel(canvas, 0, 0) == [0, 0, 0])
        #expect(self.pixel(canvas, 399, 36) == [200, 100, 0])
        // Half-way between the centres (pixel 200's centre is just past half-way), half of each.
        #expect(zip(self.pixel(canvas, 200, 18), [100, 50, 0] as [UInt8]).allSatisfy { abs(Int($0) - Int($1)) <= 1 })
        // Monotonic from one centre to the other, and every row the same.
        let reds = (100..<300).map { self.pixel(canvas, $0, 5)[0] }
        #expect(zip(reds, reds.dropFirst()).allSatisfy { $0 <= $1 })
        #expect((0..<37).allSatisfy { self.pixel(canvas, 250, $0) == self.pixel(canvas, 250, 0) })
    }

    @Test func discsAreFilledAndClippedToTheCanvas() {
        var canvas = RGBCanvas(smoothing: [10, 10, 10, 10, 10, 10], gridWidth: 1, gridHeight: 2, width: 100, height: 50)
        let red = RGB(hue: 0, saturation: 1, lightness: 0.5)
        canvas.fillDisc(cx: 95, cy: 2, radius: 10, colour: red)
        #expect(self.pixel(canvas, 95, 2) == [red.r, red.g, red.b])
        #expect(self.pixel(canvas, 99, 0) == [red.r, red.g, red.b])
        #expect(self.pixel(canvas, 95, 12) == [red.r, red.g, red.b])
        #expect(self.pixel(canvas, 95, 13) == [10, 10, 10])
        #expect(self.pixel(canvas, 84, 2) == [10, 10, 10])
    }
}
