import ArgumentParser
import Foundation
import Imaging

/// `imagegate render`: renders one local-engine preview to a file (used by the benchmarks, handy for a look).
struct RenderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "render", abstract: "Render one local-engine preview image to a file.")
    @Option(help: "Width in pixels.") var width = 2848
    @Option(help: "Height in pixels.") var height = 1600
    @Option(help: "Prompt set as the caption.") var prompt = "ImageGate local engine"
    @Option(help: "Seed.") var seed: UInt64 = 0
    @Option(help: "png or jpeg.") var format = "png"
    @Option(help: "Output file.") var out = "preview.png"

    func run() async throws {
        guard let imageFormat = ImageFormat(rawValue: self.format) else { throw ValidationError("--format: png or jpeg") }
        let spec = PreviewSpec(
            prompt: self.prompt,
            variation: self.seed,
            width: self.width,
            height: self.height,
            format: imageFormat,
            footer: "imagegate render"
        )
        let bytes = try PreviewRenderer.render(spec)
        guard FileManager.default.createFile(atPath: self.out, contents: Data(bytes)) else { throw ValidationError("cannot write \(self.out)") }
    }
}
