/// An 8-bit RGB colour.
struct RGB: Equatable {
    var r: UInt8
    var g: UInt8
    var b: UInt8

    /// Converts hue (degrees), saturation and lightness (0...1) to RGB.
    init(hue: Double, saturation s: Double, lightness l: Double) {
        let c = (1 - abs(2 * l - 1)) * s
        let h = (hue.truncatingRemainder(dividingBy: 360) + 360).truncatingRemainder(dividingBy: 360) / 60
        let x = c * (1 - abs(h.truncatingRemainder(dividingBy: 2) - 1))
        let (r1, g1, b1): (Double, Double, Double) =
            switch Int(h) {
            case 0: (c, x, 0)
            case 1: (x, c, 0)
            case 2: (0, c, x)
            case 3: (0, x, c)
            case 4: (x, 0, c)
            default: (c, 0, x)
            }
        let m = l - c / 2
        func byte(_ v: Double) -> UInt8 { UInt8(max(0, min(255, ((v + m) * 255).rounded()))) }
        self.r = byte(r1)
        self.g = byte(g1)
        self.b = byte(b1)
    }
}

/// Five colours derived from the prompt: the prompt fixes the hue family, so the same words always look alike.
struct Palette {
    let colours: [RGB]

    init(prompt: String) {
        let hash = fnv1a64(prompt.utf8)
        let baseHue = Double(hash % 360)
        let offsets: [Double] = [0, 30, -30, 180, 150]
        let lightness: [Double] = [0.45, 0.6, 0.35, 0.55, 0.7]
        let saturation = 0.45 + Double((hash >> 16) % 40) / 100
        self.colours = zip(offsets, lightness).map { offset, l in
            RGB(hue: baseHue + offset, saturation: saturation, lightness: l)
        }
    }
}
